// Freshness without a clock: the nonce the panel issues for remote commands.
//
// While the panel's wall clock is unset (every boot until SNTP answers; always on a LAN without
// it), a command's time proves nothing, so a command the broker held back for days would still
// pass. Instead the panel draws a random nonce, publishes it (retained, on `{p}/{id}/nonce`) and
// accepts a command only if it carries that nonce, or the one before it for a short grace after a
// rotation (a command in flight as it rotated). The nonce lives in RAM only: a reboot draws a new
// one, so nothing signed before the reboot carries a nonce the panel accepts.
//
//   nonce-message = { 0 => 1, 1 => bstr .size 8, 2 => bool }   ; v, nonce, the panel's clock is set
import { decodeCbor, encodeCbor } from './cbor';

export const NONCE_BYTES = 8;
/** While the clock is unset a nonce lives at most this long (it also rotates on every accepted command). */
export const NONCE_ROTATE_MS = 120_000;
/** After a rotation the previous nonce is still taken this long: the −40 s of the time window. */
export const NONCE_GRACE_MS = 40_000;

const NonceKey = Object.freeze({ v: 0, nonce: 1, clock: 2 } as const);

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The panel's current and previous nonce. */
export class Nonces {
  private current: Uint8Array;
  private previous: Uint8Array | undefined;
  private previousUntil = 0;
  /** Uptime (ms) at which the current nonce was issued. */
  private issued: number;

  constructor(private readonly randomBytes: (n: number) => Uint8Array, now: number) {
    this.current = randomBytes(NONCE_BYTES);
    this.issued = now;
  }

  /** A new nonce; the old one stays good for `NONCE_GRACE_MS`. */
  rotate(now: number): void {
    this.previous = this.current;
    this.previousUntil = now + NONCE_GRACE_MS;
    this.current = this.randomBytes(NONCE_BYTES);
    this.issued = now;
  }

  /** When the current nonce is due to rotate (while the clock is unset). */
  rotateAt(): number {
    return this.issued + NONCE_ROTATE_MS;
  }

  /** Whether a command carrying `nonce` is fresh at uptime `now`. */
  fresh(nonce: Uint8Array, now: number): boolean {
    if (same(nonce, this.current)) return true;
    return this.previous !== undefined && now <= this.previousUntil && same(nonce, this.previous);
  }

  /** The message published on `{p}/{id}/nonce`. */
  message(clockSet: boolean): Uint8Array {
    return encodeNonceMessage({ nonce: this.current, clock: clockSet });
  }
}

export interface NonceMessage {
  nonce: Uint8Array;
  /** The panel's wall clock is set: commands are judged by their time (a nonce is then optional). */
  clock: boolean;
}

export function encodeNonceMessage(m: NonceMessage): Uint8Array {
  return encodeCbor(new Map<number, unknown>([[NonceKey.v, 1], [NonceKey.nonce, m.nonce], [NonceKey.clock, m.clock]]));
}

/** Reads a nonce message (host side: the monitor); an error names what is wrong. */
export function decodeNonceMessage(bytes: Uint8Array): { message: NonceMessage } | { error: string } {
  let map: unknown;
  try {
    map = decodeCbor(bytes);
  } catch (err) {
    return { error: `nonce: ${(err as Error).message}` };
  }
  if (!(map instanceof Map)) return { error: 'nonce: not a CBOR map' };
  if (map.get(NonceKey.v) !== 1) return { error: `nonce: v ${String(map.get(NonceKey.v))} is not version 1` };
  const nonce = map.get(NonceKey.nonce);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) return { error: `nonce: not ${NONCE_BYTES} bytes` };
  const clock = map.get(NonceKey.clock);
  if (typeof clock !== 'boolean') return { error: 'nonce: clock is not a boolean' };
  return { message: { nonce: new Uint8Array(nonce), clock } };
}
