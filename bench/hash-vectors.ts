// Test vectors for the two builds of `src/hash` (@noble/hashes, and the firmware's Moddable
// file over the bench's host-call Digest): run in XS and on Node, compared as hex. They cover
// the empty input, one block and more, a 49-byte chain-link-sized input, HMAC keys shorter,
// equal to and longer than SHA-256's 64-byte block.
type Hash = (bytes: Uint8Array) => Uint8Array;
type Mac = (key: Uint8Array, bytes: Uint8Array) => Uint8Array;

const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
};
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** SHA-256 of "abc" (FIPS 180-2) and HMAC-SHA-256 of RFC 4231 test case 2: known answers. */
export const known = Object.freeze({
  sha256Abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  hmacRfc4231Case2: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
});

export function hashVectors(sha256: Hash, hmacSha256: Mac): Record<string, string> {
  const out: Record<string, string> = {
    sha256Empty: hex(sha256(new Uint8Array(0))),
    sha256Abc: hex(sha256(ascii('abc'))),
    hmacRfc4231Case2: hex(hmacSha256(ascii('Jefe'), ascii('what do ya want for nothing?'))),
  };
  for (const n of [49, 55, 56, 64, 65, 1000]) out[`sha256_${n}`] = hex(sha256(bytes(n, n)));
  const sub = bytes(80, 1).subarray(7, 7 + 49); // a view into a larger buffer, as the log's slices are
  out.sha256View = hex(sha256(sub));
  for (const k of [16, 32, 64, 65, 100]) out[`hmac_key${k}`] = hex(hmacSha256(bytes(k, k + 1), bytes(49, 3)));
  out.hmacViews = hex(hmacSha256(bytes(90, 2).subarray(3, 35), bytes(120, 4).subarray(10, 110)));
  return out;
}
