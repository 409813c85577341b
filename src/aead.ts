// ChaCha20-Poly1305 (RFC 8439): the sealed uplink's authenticated encryption (uplink-auth.ts).
//
// Why ChaCha20-Poly1305 and not AES-GCM: the panel runs it in pure JS. ChaCha20 is 32-bit adds,
// rotations and xors (what XS does well), with no lookup tables, so no cache-timing leak; AES in
// JS needs S-box tables and GCM's GHASH 128-bit carry-less products, several times slower without
// the hardware. One zone alarm is one 64-byte ChaCha block plus a few Poly1305 blocks.
//
// This file is the seam (like src/hash.ts): the only place firmware code imports @noble/ciphers.
// Moddable builds take hosts/moddable/src/aead.ts instead (the manifest maps `src/aead` to it):
// the ChaCha20 keystream from Moddable's native `crypt`, Poly1305 of @noble/ciphers (built as a
// Moddable module); the same bytes.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/** `plaintext` encrypted, with its 16-byte tag appended. `nonce` must never repeat for `key`. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** The plaintext, or undefined when the tag does not match (wrong key, nonce, AAD, or tampered bytes). */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (key.length !== AEAD_KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES || sealed.length < AEAD_TAG_BYTES) return undefined;
  try {
    return chacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch {
    return undefined;
  }
}
