// COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/256 (RFC 9053 §3.1, alg 5): the envelope of every
// remote command. The broker is not trusted; this is what lets the panel tell a command a user
// signed from one anybody could publish.
//
//   COSE_Mac0 = #6.17([ protected: bstr .cbor {1: 5}, unprotected: {4: kid}, payload: bstr, tag: bstr .size 32 ])
//
// The MAC covers the protected header bytes exactly as received and the payload, never the
// unprotected header: that is why the kid only selects a key and proves nothing by itself.
import { hmacSha256 } from '../hash';
import { aeadOpen, aeadSeal, AEAD_NONCE_BYTES } from '../aead';
import { Tag } from 'cbor-x';
import { cborHead, encodeCbor, decodeCbor } from './cbor';

export const COSE_MAC0_TAG = 17;
/** COSE algorithm 5: HMAC with SHA-256, full 256-bit tag. */
export const HMAC_256_256 = 5;
const TAG_BYTES = 32;

// COSE header labels (RFC 9052 §3.1).
const ALG = 1;
const CRIT = 2;
const KID = 4;

const EMPTY = new Uint8Array(0);
/**
 * `{1: 5}`: the only protected header this panel writes, as bytes (cose-js verifying our MACs
 * checks them, test/commands/cose.test.ts). Not encoded here: encoding at module load would make cbor-x's working buffer at
 * Moddable's preload, read-only in flash for every later encode.
 */
const PROTECTED_HMAC_256_256 = Uint8Array.of(0xa1, ALG, HMAC_256_256);

export type Mac0Refusal = 'malformed' | 'unknown_key' | 'bad_mac';

export type Mac0Result =
  | { ok: true; kid: Uint8Array; payload: Uint8Array }
  | {
      ok: false;
      reason: Mac0Refusal;
      /** What exactly is wrong, for the reply and the local log. Never holds key material. */
      detail: string;
      /** The kid of a readable envelope (set with `unknown_key` and `bad_mac`). */
      kid?: Uint8Array;
      /** The payload of a readable envelope whose MAC was not (or could not be) checked. Untrusted. */
      unverifiedPayload?: Uint8Array;
    };

/** The bytes the MAC is computed over: MAC_structure (RFC 9052 §6.3); commands have no external AAD. */
export function macStructure(protectedHeader: Uint8Array, payload: Uint8Array, externalAad: Uint8Array = EMPTY): Uint8Array {
  return encodeCbor(['MAC0', protectedHeader, externalAad, payload]);
}

function macTag(key: Uint8Array, protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return hmacSha256(key, macStructure(protectedHeader, payload));
}

/** Signs `payload` for the holder of `key`; returns the tagged COSE_Mac0 bytes. */
export function signMac0(payload: Uint8Array, kid: Uint8Array, key: Uint8Array): Uint8Array {
  const tag = macTag(key, PROTECTED_HMAC_256_256, payload);
  return encodeCbor(new Tag([PROTECTED_HMAC_256_256, new Map([[KID, kid]]), payload, tag], COSE_MAC0_TAG));
}

// Every byte is compared, whatever the first difference: the time taken says nothing about the tag.
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
// cbor-x may hand back a Buffer view into the input; callers get plain bytes of their own.
const own = (v: Uint8Array): Uint8Array => new Uint8Array(v);

interface Envelope { protectedHeader: Uint8Array; alg: unknown; kid: unknown; payload: unknown; tag: unknown }

/** Reads the envelope's shape; a string is the reason it is not a COSE_Mac0. */
function readEnvelope(bytes: Uint8Array): Envelope | string {
  let item: unknown;
  try {
    item = decodeCbor(bytes);
  } catch (err) {
    return (err as Error).message;
  }
  if (!(item instanceof Tag)) return 'not a tagged COSE_Mac0 (CBOR tag 17 expected)';
  if (item.tag !== COSE_MAC0_TAG) return `CBOR tag ${String(item.tag)}, not 17 (COSE_Mac0)`;
  const parts = item.value as unknown;
  if (!Array.isArray(parts) || parts.length !== 4) return 'COSE_Mac0 must be an array of 4 items';
  const [protectedHeader, unprotected, payload, tag] = parts as unknown[];

  if (!isBytes(protectedHeader)) return 'protected header is not a byte string';
  let prot: unknown = new Map();
  if (protectedHeader.length > 0) {
    try {
      prot = decodeCbor(protectedHeader);
    } catch {
      prot = undefined;
    }
  }
  if (!(prot instanceof Map)) return 'protected header is not a CBOR map';
  if (!(unprotected instanceof Map)) return 'unprotected header is not a map';
  for (const label of prot.keys()) {
    if (unprotected.has(label)) return `header parameter ${String(label)} is both protected and unprotected`;
  }
  if (prot.has(CRIT)) return 'critical header parameters (crit) are not supported';
  return {
    protectedHeader,
    alg: prot.get(ALG),
    kid: prot.has(KID) ? prot.get(KID) : unprotected.get(KID),
    payload,
    tag,
  };
}

/**
 * Checks a COSE_Mac0 made with HMAC 256/256. `keyFor` returns the key a kid names, or
 * undefined when there is none. Shape, then key, then MAC: a refusal says which failed first.
 */
export function verifyMac0(bytes: Uint8Array, keyFor: (kid: Uint8Array) => Uint8Array | undefined): Mac0Result {
  const env = readEnvelope(bytes);
  if (typeof env === 'string') return { ok: false, reason: 'malformed', detail: env };
  const malformed = (detail: string): Mac0Result => ({
    ok: false, reason: 'malformed', detail, ...(isBytes(env.payload) ? { unverifiedPayload: own(env.payload) } : {}),
  });
  if (env.alg === undefined) return malformed('alg: missing from the protected header');
  if (env.alg !== HMAC_256_256) return malformed(`alg: ${String(env.alg)} is not 5 (HMAC 256/256)`);
  if (env.kid === undefined) return malformed('kid: missing');
  if (!isBytes(env.kid)) return malformed('kid: not a byte string');
  if (env.payload === null) return malformed('payload: detached payloads are not supported');
  if (!isBytes(env.payload)) return malformed('payload: not a byte string');
  if (!isBytes(env.tag)) return malformed('tag: not a byte string');
  if (env.tag.length !== TAG_BYTES) return malformed(`tag: ${env.tag.length} bytes, HMAC 256/256 needs 32`);

  const kid = own(env.kid);
  const payload = own(env.payload);
  const key = keyFor(kid);
  if (key === undefined) return { ok: false, reason: 'unknown_key', detail: 'no key for this kid', kid, unverifiedPayload: payload };
  if (!sameBytes(macTag(key, env.protectedHeader, payload), env.tag)) {
    return { ok: false, reason: 'bad_mac', detail: 'MAC does not match', kid, unverifiedPayload: payload };
  }
  return { ok: true, kid, payload };
}

// ---- the uplink: what the panel publishes, authenticated for its monitors -------------------
//
//   uplink-mac0 = #6.17([ protected: h'', unprotected: {}, payload: bstr, tag: bstr .size 8 ])
//
// HMAC 256/64 (RFC 9053 §3.1, alg 4) with the panel's uplink key. The algorithm is fixed by that
// key, as OSCORE fixes its own by its security context, so the protected header is empty (h'',
// RFC 9052 §3) and the whole envelope costs 15 bytes around a payload of 24–255 bytes. What the
// MAC is bound to besides the payload (panel, topic, the command answered) goes in the external
// AAD, which never travels.

/** COSE algorithm 4: HMAC with SHA-256 truncated to 64 bits. */
export const HMAC_256_64 = 4;
const SHORT_TAG_BYTES = 8;

// Every message the panel publishes goes through `macUplink`, an alarm's state snapshot of 2 KB
// included. So the MAC_structure and the envelope are framed here, around the payload, rather than
// encoded whole by cbor-x: the MAC is computed over the structure's head and the payload as they
// are (no copy of the payload made to hash it), and the envelope copies the payload once. In XS
// the cbor-x calls and copies were most of what authenticating an alarm cost. The bytes are
// cbor-x's own (test/scenarios/uplink-auth.scenario.ts compares them at every head size).

/** MAC_structure ["MAC0", h'', external_aad, payload] up to the payload's bytes (RFC 9052 §6.3). */
function macStructureHead(externalAad: Uint8Array, payloadLength: number): Uint8Array {
  const aadHead = cborHead(2, externalAad.length);
  const payloadHead = cborHead(2, payloadLength);
  const out = new Uint8Array(MAC0_CONTEXT.length + aadHead.length + externalAad.length + payloadHead.length);
  out.set(MAC0_CONTEXT, 0);
  out.set(aadHead, MAC0_CONTEXT.length);
  out.set(externalAad, MAC0_CONTEXT.length + aadHead.length);
  out.set(payloadHead, out.length - payloadHead.length);
  return out;
}

/** The MAC_structure's start: an array of 4, the text "MAC0", the empty protected header h''. */
const MAC0_CONTEXT = Uint8Array.of(0x84, 0x64, 0x4d, 0x41, 0x43, 0x30, 0x40);
/** The uplink COSE_Mac0's start: tag 17, an array of 4, h'' (protected), {} (unprotected). */
const UPLINK_MAC0_START = Uint8Array.of(0xd1, 0x84, 0x40, 0xa0);

function shortTag(key: Uint8Array, payload: Uint8Array, externalAad: Uint8Array): Uint8Array {
  return hmacSha256(key, macStructureHead(externalAad, payload.length), payload).slice(0, SHORT_TAG_BYTES);
}

/** `payload` in a tagged COSE_Mac0, HMAC 256/64 with `key` over it and `externalAad`. */
export function macUplink(payload: Uint8Array, key: Uint8Array, externalAad: Uint8Array): Uint8Array {
  const tag = shortTag(key, payload, externalAad);
  const payloadHead = cborHead(2, payload.length);
  const start = UPLINK_MAC0_START.length + payloadHead.length;
  const out = new Uint8Array(start + payload.length + 1 + SHORT_TAG_BYTES);
  out.set(UPLINK_MAC0_START, 0);
  out.set(payloadHead, UPLINK_MAC0_START.length);
  out.set(payload, start);
  out[start + payload.length] = 0x40 | SHORT_TAG_BYTES; // a byte string of 8
  out.set(tag, start + payload.length + 1);
  return out;
}

export type UplinkOpened = { ok: true; payload: Uint8Array } | { ok: false; detail: string; unverifiedPayload?: Uint8Array };

/** Checks an uplink COSE_Mac0 made by `macUplink`; a refusal says what failed, never the key. */
export function openUplinkMac(bytes: Uint8Array, key: Uint8Array, externalAad: Uint8Array): UplinkOpened {
  const env = readEnvelope(bytes);
  if (typeof env === 'string') return { ok: false, detail: env };
  if (!isBytes(env.payload)) return { ok: false, detail: 'payload: not a byte string' };
  const payload = own(env.payload);
  const refuse = (detail: string): UplinkOpened => ({ ok: false, detail, unverifiedPayload: payload });
  if (env.protectedHeader.length !== 0) return refuse('protected header: not empty (the uplink key fixes alg 4, HMAC 256/64)');
  if (!isBytes(env.tag) || env.tag.length !== SHORT_TAG_BYTES) return refuse('tag: not the 8 bytes of HMAC 256/64');
  if (!sameBytes(shortTag(key, payload, externalAad), env.tag)) return refuse('MAC does not match');
  return { ok: true, payload };
}

/** The payload of a COSE_Mac0, unverified (to read a reply's id before choosing how to check it). */
export function peekMac0Payload(bytes: Uint8Array): Uint8Array | undefined {
  const env = readEnvelope(bytes);
  return typeof env !== 'string' && isBytes(env.payload) ? own(env.payload) : undefined;
}

// ---- the sealed uplink: COSE_Encrypt0 (RFC 9052 §5.2) ---------------------------------------
//
//   uplink-encrypt0 = #6.16([ protected: h'', unprotected: {5: bstr .size 12}, ciphertext: bstr ])
//
// ChaCha20-Poly1305 (RFC 9053 §4.3, alg 24), fixed by sealed mode as HMAC 256/64 is by the uplink
// key, so the protected header is empty again; the IV (label 5) travels unprotected (RFC 9052
// §3.1); the ciphertext ends with the 16-byte Poly1305 tag. The AAD is Enc_structure
// ["Encrypt0", h'', external AAD] (§5.3). The envelope costs 36 bytes around a payload of
// 8–239 bytes (37 above): 15 for the IV, 16 for the tag, 5 of CBOR.

export const COSE_ENCRYPT0_TAG = 16;
/** COSE algorithm 24: ChaCha20/Poly1305, 256-bit key, 128-bit tag. */
export const CHACHA20_POLY1305 = 24;
const IV = 5;

export function encStructure(protectedHeader: Uint8Array, externalAad: Uint8Array): Uint8Array {
  return encodeCbor(['Encrypt0', protectedHeader, externalAad]);
}

/** `payload` encrypted with `key` under `iv` (12 bytes, never twice for one key), bound to `externalAad`. */
export function encryptUplink(payload: Uint8Array, key: Uint8Array, iv: Uint8Array, externalAad: Uint8Array): Uint8Array {
  const ciphertext = aeadSeal(key, iv, encStructure(EMPTY, externalAad), payload);
  return encodeCbor(new Tag([EMPTY, new Map([[IV, iv]]), ciphertext], COSE_ENCRYPT0_TAG));
}

/** True when `bytes` start as a tagged COSE_Encrypt0 (0xd0): a sealed message. */
export const isEncrypt0 = (bytes: Uint8Array): boolean => bytes.length > 0 && bytes[0] === 0xc0 + COSE_ENCRYPT0_TAG;

/** Decrypts and checks an uplink COSE_Encrypt0 made by `encryptUplink`; a refusal says what failed. */
export function openUplinkEncrypt0(bytes: Uint8Array, key: Uint8Array, externalAad: Uint8Array): UplinkOpened {
  let item: unknown;
  try {
    item = decodeCbor(bytes);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
  if (!(item instanceof Tag) || item.tag !== COSE_ENCRYPT0_TAG) return { ok: false, detail: 'not a tagged COSE_Encrypt0 (CBOR tag 16 expected)' };
  const parts = item.value as unknown;
  if (!Array.isArray(parts) || parts.length !== 3) return { ok: false, detail: 'COSE_Encrypt0 must be an array of 3 items' };
  const [protectedHeader, unprotected, ciphertext] = parts as unknown[];
  if (!isBytes(protectedHeader) || protectedHeader.length !== 0) return { ok: false, detail: 'protected header: not empty (sealed mode fixes alg 24, ChaCha20/Poly1305)' };
  if (!(unprotected instanceof Map) || unprotected.size !== 1) return { ok: false, detail: 'unprotected header: must hold the IV alone' };
  const iv = unprotected.get(IV);
  if (!isBytes(iv) || iv.length !== AEAD_NONCE_BYTES) return { ok: false, detail: 'IV: not 12 bytes' };
  if (!isBytes(ciphertext)) return { ok: false, detail: 'ciphertext: not a byte string' };
  const payload = aeadOpen(key, own(iv), encStructure(EMPTY, externalAad), own(ciphertext));
  return payload ? { ok: true, payload } : { ok: false, detail: 'does not decrypt (tag does not match)' };
}
