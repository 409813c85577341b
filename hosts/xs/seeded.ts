// A small seeded PRNG for simulations only: the same sequence on Node and on XS.

/** A small seeded PRNG (xorshift32): deterministic "randomness" for simulations only. */
export function seeded(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}
