// The panels' uplink keys, and reading what a panel published through its authentication
// (src/uplink/uplink-auth.ts). With a panel's key, every message must verify: what does not was
// forged (by the broker, or anyone who can publish on it). Without one, the content is read
// unverified, as before. A panel in sealed mode (COSE_Encrypt0) cannot be read without its key.
import { decodeKey } from '../../src/uplink/keys.ts';
import { isEncrypt0, peekMac0Payload } from '../../src/uplink/cose.ts';
import { openUplink, type UplinkKind } from '../../src/uplink/uplink-auth.ts';
import { readText, usageError } from './cli.ts';

export const uplinkHelp = `  --uplink FILE     the panels' uplink keys, {"PANEL": "KEY", …} (from each panel's portal): every
                    message is then verified (and decrypted, for a panel in sealed mode), and what
                    the broker forged is reported as FORGED`;

/** Uplink keys by panel id, from `--uplink FILE`; empty without the option. */
export function loadUplinkKeys(file: string | undefined): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  if (file === undefined) return keys;
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file, 'uplink key file'));
  } catch (err) {
    if ((err as { exit?: number }).exit !== undefined) throw err;
    throw usageError(`uplink key file ${JSON.stringify(file)} is not JSON: {"PANEL": "KEY", …}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw usageError(`uplink key file ${JSON.stringify(file)} must hold {"PANEL": "KEY", …}`);
  for (const [panel, text] of Object.entries(raw)) {
    const key = typeof text === 'string' ? decodeKey(text) : undefined;
    if (!key) throw usageError(`uplink key file ${JSON.stringify(file)}: the key of panel ${JSON.stringify(panel)} is not a 256-bit key in base64url (43 characters)`);
    keys.set(panel, key);
  }
  return keys;
}

export type Read = { payload: Uint8Array; verified: boolean } | { forged: string };

/** A message's content: verified with `key` (or forged), or read unverified without one. */
export function readUplink(bytes: Uint8Array, key: Uint8Array | undefined, panel: string, kind: UplinkKind, command?: Uint8Array): Read {
  if (!key) {
    if (isEncrypt0(bytes)) throw new Error(`panel ${panel} is in sealed mode: its ${kind} can be read only with its uplink key (--uplink FILE)`);
    return { payload: peekMac0Payload(bytes) ?? bytes, verified: false };
  }
  const opened = openUplink(bytes, key, panel, kind, command);
  if (opened.ok) return { payload: opened.payload, verified: true };
  const authenticated = isEncrypt0(bytes) || peekMac0Payload(bytes) !== undefined;
  return { forged: authenticated ? opened.detail : 'not authenticated (no COSE_Mac0 or COSE_Encrypt0), though the panel has an uplink key' };
}

/** True for a sealed message (COSE_Encrypt0): its content, even a reply's id, is read only by opening it. */
export const isSealed = isEncrypt0;

/** The content of a message without checking it (to read a reply's id before choosing how to check it). */
export function peekUplink(bytes: Uint8Array): Uint8Array {
  return peekMac0Payload(bytes) ?? bytes;
}
