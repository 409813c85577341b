// The floor the app is measured against: the same event, the same bytes, written by hand.
//
// No libraries and no app: a pin table, one decision, the CBOR event map written byte by byte
// and the MQTT 5 PUBLISH frame around it. It exists only in the benchmark, so the report can
// show what cbor-x, mqtt-packet and the app's layers (drivers, core, journal, session) cost
// on top of the bare minimum. Plain ECMAScript: it runs inside XS.

export interface MinimalEvent {
  seq: number;
  boot: number;
  uptime: number;
  time?: number;
  code: number;
  q: number;
  zone?: number;
  user?: number;
}

/** Appends CBOR head `major` with argument `n` (an integer ≥ 0 below 2^53), shortest form. */
function head(out: number[], major: number, n: number): void {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else if (n < 0x100000000) out.push(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  else {
    const hi = Math.floor(n / 0x100000000);
    const lo = n >>> 0;
    out.push(m | 27, 0, 0, (hi >>> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
  }
}

/** The event as wire.cddl has it: a map with integer keys 0–8, in key order. */
export function minimalEventCbor(e: MinimalEvent): Uint8Array {
  const out: number[] = [];
  let pairs = 6;
  if (e.time !== undefined) pairs++;
  if (e.zone !== undefined) pairs++;
  if (e.user !== undefined) pairs++;
  head(out, 5, pairs);
  out.push(0, 1); // v: 1
  out.push(1); head(out, 0, e.seq);
  out.push(2); head(out, 0, e.boot);
  out.push(3); head(out, 0, e.uptime);
  if (e.time !== undefined) { out.push(4); head(out, 0, e.time); }
  out.push(5); head(out, 0, e.code);
  out.push(6); head(out, 0, e.q);
  if (e.zone !== undefined) { out.push(7); head(out, 0, e.zone); }
  if (e.user !== undefined) { out.push(8); head(out, 0, e.user); }
  return new Uint8Array(out);
}

const CONTENT_TYPE = 'application/cbor';

/** Appends an MQTT variable byte integer. */
function varint(out: number[], n: number): void {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
}

/** Appends an MQTT string (ASCII only: topics and the content type here are ASCII). */
function text(out: number[], s: string): void {
  out.push(s.length >> 8, s.length & 0xff);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/** An MQTT 5 PUBLISH, QoS 1, not retained, content type application/cbor: as the session sends events. */
export function minimalPublish(topic: string, packetId: number, payload: Uint8Array, dup = false): Uint8Array {
  const props: number[] = [0x03]; // content type
  text(props, CONTENT_TYPE);
  const variable: number[] = [];
  text(variable, topic);
  variable.push(packetId >> 8, packetId & 0xff);
  varint(variable, props.length);
  const remaining = variable.length + props.length + payload.length;
  const fixed: number[] = [0x30 | (dup ? 0x08 : 0) | 0x02];
  varint(fixed, remaining);
  const frame = new Uint8Array(fixed.length + remaining);
  frame.set(fixed, 0);
  frame.set(variable, fixed.length);
  frame.set(props, fixed.length + variable.length);
  frame.set(payload, fixed.length + variable.length + props.length);
  return frame;
}

export interface MinimalZone { zone: number; pin: number; openLevel: 0 | 1; instant: boolean }

/**
 * A "panel" reduced to the one path measured: a pin edge on an instant zone while armed
 * becomes a 130 (burglary) event, encoded and framed. No debounce, no log, no outbox.
 */
export class MinimalPanel {
  armed = true;
  seq = 0;
  packetId = 0;
  uptime = 0;
  time: number | undefined;
  readonly written: Uint8Array[] = [];
  private readonly byPin: MinimalZone[] = [];

  constructor(zones: MinimalZone[], readonly boot: number, readonly topic: string) {
    for (const z of zones) this.byPin[z.pin] = z;
  }

  edge(pin: number, level: number): void {
    const z = this.byPin[pin];
    if (!z || level !== z.openLevel || !this.armed || !z.instant) return;
    const event: MinimalEvent = { seq: ++this.seq, boot: this.boot, uptime: this.uptime, code: 130, q: 1, zone: z.zone };
    if (this.time !== undefined) event.time = this.time;
    this.packetId = this.packetId >= 65_535 ? 1 : this.packetId + 1;
    this.written.push(minimalPublish(this.topic, this.packetId, minimalEventCbor(event)));
  }
}
