// What the panel publishes, authenticated with its uplink key: the broker cannot forge it.
//
// With an uplink key in the config (set in the portal, shown once, never sent over MQTT), every
// event, state snapshot, nonce, reply and log chunk leaves as a COSE_Mac0 (cose.ts, HMAC 256/64)
// around the very bytes the encoders made: any CBOR library still reads the content (the payload
// byte string), and a monitor holding the key checks it. The MAC is bound, through the external
// AAD, to the panel id and the topic, so a message cannot be moved to another panel or topic,
// and a reply or log chunk also to the command it answers (its exact bytes), so a reply cannot be
// passed off as the answer to another command. The `status` topic stays plain text: its last
// will is fixed at CONNECT, and Home Assistant reads it; the proof of life is the authenticated
// state and the periodic test report (602), an event.
//
// Sealed mode (config `sealed: true`) encrypts as well: a COSE_Encrypt0 (ChaCha20-Poly1305, see
// src/aead.ts) in place of the COSE_Mac0, same external AAD, so the broker learns only topics and
// sizes. Its key is derived from the uplink key (`sealedKey`): one key for the owner to handle,
// two keys in use, never one key for two algorithms.
//
// The IV rule (a ChaCha20-Poly1305 nonce must never repeat for a key): IV = boot count (4 bytes)
// ‖ 4 random bytes drawn once per boot ‖ a per-boot message counter (4 bytes), all big-endian.
// Within a boot the counter makes it unique, for every kind of message alike (events, state,
// nonce, replies, log chunks share the one counter: the event seq alone would not cover the
// rest). Across boots the boot count, persisted and incremented before the panel publishes
// anything, makes it unique; the random bytes cover the one case it does not: a boot count that
// starts again under the same key (the journal lost, or the key imported into a new panel), where
// a repeat needs the same 32-bit draw as well. The panel id is in the key derivation, so two
// panels given the same uplink key never share a sealed key. An event resent after a reconnect
// goes out as the very bytes sealed the first time (app.ts keeps them): same IV, same plaintext.
import { encodeCbor } from './cbor';
import { encryptUplink, isEncrypt0, macUplink, openUplinkEncrypt0, openUplinkMac, type UplinkOpened } from './cose';
import { hmacSha256 } from '../hash';

export type UplinkKind = 'event' | 'state' | 'nonce' | 'reply' | 'log';

/** Bytes the envelope adds around a payload of 256 bytes to 64 KiB (tag 17, array, h'', {}, bstr head, 8-byte tag). */
export const UPLINK_OVERHEAD = 17;
/** The same for sealed mode (tag 16, array, h'', {5: 12-byte IV}, bstr head, 16-byte tag). */
export const SEALED_OVERHEAD = 37;

/** The external AAD: ["alarm-uplink", panel id, kind] (+ the command's bytes for replies and log chunks). */
export function uplinkAad(panelId: string, kind: UplinkKind, command?: Uint8Array): Uint8Array {
  return encodeCbor(command === undefined ? ['alarm-uplink', panelId, kind] : ['alarm-uplink', panelId, kind, command]);
}

export function sealUplink(bytes: Uint8Array, key: Uint8Array, panelId: string, kind: UplinkKind, command?: Uint8Array): Uint8Array {
  return macUplink(bytes, key, uplinkAad(panelId, kind, command));
}

/** Opens what `sealUplink` or `encryptUplinkFor` made (told apart by the CBOR tag: 17 or 16), with the uplink key. */
export function openUplink(bytes: Uint8Array, key: Uint8Array, panelId: string, kind: UplinkKind, command?: Uint8Array): UplinkOpened {
  const aad = uplinkAad(panelId, kind, command);
  return isEncrypt0(bytes) ? openUplinkEncrypt0(bytes, sealedKey(key, panelId), aad) : openUplinkMac(bytes, key, aad);
}

/** The sealed mode's key: HMAC-SHA-256(uplink key, CBOR ["alarm-uplink-sealed", panel id]). */
export function sealedKey(uplinkKey: Uint8Array, panelId: string): Uint8Array {
  return hmacSha256(uplinkKey, encodeCbor(['alarm-uplink-sealed', panelId]));
}

/** Sealed mode: `bytes` encrypted and authenticated with the key `sealedKey` made, under a fresh `iv`. */
export function encryptUplinkFor(bytes: Uint8Array, key: Uint8Array, iv: Uint8Array, panelId: string, kind: UplinkKind, command?: Uint8Array): Uint8Array {
  return encryptUplink(bytes, key, iv, uplinkAad(panelId, kind, command));
}

/** The IVs of one boot, by the rule above. Made at run time (never at module load: preload). */
export class UplinkIvs {
  private count = 0;
  constructor(private readonly boot: number, private readonly salt: Uint8Array) {
    if (salt.length !== 4) throw new Error('UplinkIvs: the per-boot random part is 4 bytes');
  }

  next(): Uint8Array {
    if (this.count >= 0xffff_ffff) throw new Error('sealed uplink: 2^32 messages in one boot, no IV left (restart)');
    const iv = new Uint8Array(12);
    const view = new DataView(iv.buffer);
    view.setUint32(0, this.boot >>> 0);
    iv.set(this.salt, 4);
    view.setUint32(8, this.count++);
    return iv;
  }
}
