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
import { encodeCbor } from './cbor';
import { macUplink, openUplinkMac, type UplinkOpened } from './cose';

export type UplinkKind = 'event' | 'state' | 'nonce' | 'reply' | 'log';

/** Bytes the envelope adds around a payload of 256 bytes to 64 KiB (tag 17, array, h'', {}, bstr head, 8-byte tag). */
export const UPLINK_OVERHEAD = 17;

/** The external AAD: ["alarm-uplink", panel id, kind] (+ the command's bytes for replies and log chunks). */
export function uplinkAad(panelId: string, kind: UplinkKind, command?: Uint8Array): Uint8Array {
  return encodeCbor(command === undefined ? ['alarm-uplink', panelId, kind] : ['alarm-uplink', panelId, kind, command]);
}

export function sealUplink(bytes: Uint8Array, key: Uint8Array, panelId: string, kind: UplinkKind, command?: Uint8Array): Uint8Array {
  return macUplink(bytes, key, uplinkAad(panelId, kind, command));
}

export function openUplink(bytes: Uint8Array, key: Uint8Array, panelId: string, kind: UplinkKind, command?: Uint8Array): UplinkOpened {
  return openUplinkMac(bytes, key, uplinkAad(panelId, kind, command));
}
