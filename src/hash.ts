// SHA-256 and HMAC-SHA-256: the only hashes the panel uses (event-log chain, code hashes,
// COSE MACs, the portal page's CSP hashes).
//
// This file is @noble/hashes, for Node and xsnap. On Moddable builds the manifest names
// hosts/moddable/hash as the module `src/hash` instead: Moddable's native `crypt` (the
// ESP32's SHA hardware), and no @noble code in flash. Both pass the same test vectors
// (test/scenarios/hash.scenario.ts on Node and XS, and the lin build under mcsim).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}

/** HMAC-SHA-256 over `parts` one after the other (as over their concatenation, without making it). */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = hmac.create(nobleSha256, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}
