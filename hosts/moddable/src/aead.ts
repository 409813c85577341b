// `src/aead` on Moddable builds: the manifest names this file as that module (it sits apart from
// the hosts/moddable/* glob for that reason, as src/hash does). ChaCha20-Poly1305 (RFC 8439
// §2.8) with the ChaCha20 keystream from Moddable's native `crypt` StreamCipher and Poly1305 of
// @noble/ciphers in JS: Moddable has no native Poly1305. ChaCha20 in JS was most of a sealed
// message's cost in XS (about 230 computrons a byte of the 400). Same functions, same bytes as
// src/aead.ts: the lin test opens what the panel seals with @noble/ciphers on Node.
import { StreamCipher } from "crypt";
import { poly1305 } from "@noble/ciphers/_poly1305.js";

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/** An ArrayBuffer of exactly these bytes: the native constructor takes buffers, not views. */
const bufferOf = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

/** ChaCha20 (RFC 8439: 96-bit nonce, 32-bit block counter) starting at block `counter`. */
const chacha20 = (key: Uint8Array, nonce: Uint8Array, counter: number) =>
  new StreamCipher("ChaCha", bufferOf(key), bufferOf(nonce), counter);

/** The tag: Poly1305, keyed by block 0 of the keystream, over aad ‖ pad ‖ ciphertext ‖ pad ‖ both lengths (64-bit LE). */
function tagOf(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const polyKey = new Uint8Array(32);
  chacha20(key, nonce, 0).encrypt(polyKey, polyKey);
  const padded = (n: number) => n + ((16 - (n % 16)) % 16);
  const data = new Uint8Array(padded(aad.length) + padded(ciphertext.length) + 16);
  data.set(aad, 0);
  data.set(ciphertext, padded(aad.length));
  const lengths = new DataView(data.buffer, data.length - 16);
  lengths.setUint32(0, aad.length, true); // the high halves stay 0: a message is far below 4 GiB
  lengths.setUint32(8, ciphertext.length, true);
  return poly1305(data, polyKey);
}

/** `plaintext` encrypted, with its 16-byte tag appended. `nonce` must never repeat for `key`. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (key.length !== AEAD_KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES) throw new RangeError("ChaCha20-Poly1305: a 32-byte key and a 12-byte nonce");
  const sealed = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
  const ciphertext = sealed.subarray(0, plaintext.length);
  chacha20(key, nonce, 1).encrypt(plaintext, ciphertext);
  sealed.set(tagOf(key, nonce, aad, ciphertext), plaintext.length);
  return sealed;
}

/** The plaintext, or undefined when the tag does not match (wrong key, nonce, AAD, or tampered bytes). */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (key.length !== AEAD_KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES || sealed.length < AEAD_TAG_BYTES) return undefined;
  const ciphertext = sealed.subarray(0, sealed.length - AEAD_TAG_BYTES);
  const expected = tagOf(key, nonce, aad, ciphertext);
  let diff = 0; // every byte compared, whatever differs first
  for (let i = 0; i < AEAD_TAG_BYTES; i++) diff |= expected[i] ^ sealed[ciphertext.length + i];
  if (diff !== 0) return undefined;
  const plaintext = new Uint8Array(ciphertext.length);
  chacha20(key, nonce, 1).decrypt(ciphertext, plaintext);
  return plaintext;
}
