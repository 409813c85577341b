// Remote-command keys as people copy them: 256 bits in base64url (43 characters, no padding).
// Written here because no base64 package fits XS without Node's Buffer; it is a few lines.

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const KEY_BYTES = 32;

export function encodeKey(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += alphabet[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

/** The key's bytes, or undefined when `text` is not 32 bytes of base64url. */
export function decodeKey(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length !== 43) return undefined;
  const out = new Uint8Array(KEY_BYTES);
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const ch of text) {
    const v = alphabet.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < KEY_BYTES) out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  return acc === 0 ? out : undefined; // the 2 spare bits must be zero: one text per key
}
