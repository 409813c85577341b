// ChaCha20-Poly1305 inputs for comparing two implementations: RFC 8439 §2.8.2's vector, then
// messages around the 64-byte block and 16-byte Poly1305 block edges. Plain ECMAScript (runs in XS).
const fill = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 29 + seed) & 0xff;
  return out;
};
const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));

export interface AeadCase { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }

export function aeadCases(): AeadCase[] {
  const sunscreen = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
  const cases: AeadCase[] = [{
    key: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
    nonce: fromHex('070000004041424344454647'),
    aad: fromHex('50515253c0c1c2c3c4c5c6c7'),
    plaintext: new Uint8Array(Array.from(sunscreen, (c) => c.charCodeAt(0))),
  }];
  for (const [n, a] of [[0, 0], [1, 1], [15, 16], [16, 17], [63, 24], [64, 31], [65, 32], [700, 45]]) {
    cases.push({ key: fill(32, n), nonce: fill(12, n + 1), aad: fill(a, n + 2), plaintext: fill(n, n + 3) });
  }
  return cases;
}
