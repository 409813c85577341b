// `src/hash` on Moddable builds: the manifest names this file as that module (it sits apart from
// the hosts/moddable/* glob for that reason). SHA-256 and HMAC-SHA-256 from
// Moddable's `crypt` Digest (native; the ESP32's SHA hardware) and its `hmac` module.
// Same functions, same results as src/hash.ts on @noble/hashes.
import { Digest } from "crypt";
import HMAC from "hmac";

export function sha256(bytes: Uint8Array): Uint8Array {
  const digest = new Digest("SHA256");
  digest.write(bytes as unknown as ArrayBuffer); // crypt reads any buffer view
  return new Uint8Array(digest.close());
}

/** HMAC-SHA-256 over `parts` one after the other (as over their concatenation, without making it). */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(new HMAC(new Digest("SHA256"), key).process(...parts));
}
