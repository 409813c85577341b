// The MQTT client connection, sans-IO (the shape of quinn-proto): fed bytes and time (`start`, `handleOpen`,
// `handleData`, `handleClose`, `handleTimeout`), it gives back bytes to write (`pollTransmit`), what happened
// (`pollEvent`) and when it wants the time again (`pollTimeout`). It never opens a socket nor reads a clock: the
// uplink (uplink.ts) owns the transport, the reconnects and what the packets carry.
//
// One Connection serves link after link: packet ids (an event keeps its id across links, to be resent with DUP) and
// the MQTT 5 → 3.1.1 fall-back outlive a link. Received packets are handled one at a time, as `pollEvent` asks, so
// that the uplink writes what one calls for (a PUBACK, the birth message) before the next is looked at; a failed
// write ends the link there (`abort`), as if the rest had never arrived.
import type { IConnackPacket, IConnectPacket, IPubackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { encodePacket, packetReader, payload, type PacketReader, type ProtocolVersion } from './packets';
import { utf8 } from '../text';

export interface ConnectionConfig {
  /** "host:port", for the reasons given. */
  server: string;
  clientId: string; username?: string; password?: string;
  /** 5, 4 (3.1.1), or 'auto': 5 first, 3.1.1 when the broker refuses 5 or hangs up on its CONNECT. */
  version: 5 | 4 | 'auto';
  /** Seconds; 0 turns pings and dead-link detection off. */
  keepalive: number;
  /** Ms from `start` to CONNACK, and ms a PUBACK or SUBACK may be overdue: past either, the link ends. */
  connectTimeout: number; ackTimeout: number;
  /** MQTT 5 will delay and session expiry, seconds. */
  willDelay: number; sessionExpiry: number;
  /** Largest packet accepted from the broker, bytes (announced in MQTT 5). */
  maxPacket: number;
  /** The last will (text, QoS 1, retained); `close` publishes it itself before a clean DISCONNECT. */
  will: { topic: string; payload: Uint8Array };
  /** The birth message (text, QoS 1, retained): the first PUBLISH of every link. */
  birth: { topic: string; payload: Uint8Array };
  /** Topic filters subscribed at QoS 1, in one SUBSCRIBE after the birth message. */
  subscribe: string[];
}

/** A PUBLISH from the uplink. QoS 1 needs an `id` from `allocId`; `dup` marks a resend. */
export interface Outgoing {
  topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean; dup: boolean; id?: number;
  /** MQTT 5 content type (`text/…` and `application/json` are also flagged as UTF-8) and message expiry (s). */
  contentType?: string; expiry?: number;
}

/**
 * `closed`: the link is over; write what is left to send, then close (`fallback`: try again at once, with MQTT 3.1.1).
 * `message`: a PUBLISH from the broker (a copy the receiver may keep); its PUBACK waits in `pollTransmit`.
 * `puback`: for a PUBLISH of the uplink's, whose id stays taken until `release`.
 */
export type ConnectionEvent =
  | { type: 'connected'; sessionPresent: boolean } | { type: 'closed'; reason: string; fallback: boolean }
  | { type: 'message'; topic: string; payload: Uint8Array } | { type: 'puback'; id: number; code: number }
  | { type: 'subscribed'; filters: string[]; ok: boolean[] };

const reason = Object.freeze({ normal: 0x00, malformed: 0x81, protocolError: 0x82, unsupportedVersion: 0x84, tooLarge: 0x95 } as const);
/** Bytes handed to the packet parser at once. */
const SLICE = 512;

type Input = { packet: Packet } | { malformed: string } | { tooLarge: true };
/** A packet id waiting for its acknowledgement: a PUBLISH (of ours: birth, will) or the SUBSCRIBE. */
interface Unacked { at: number; own?: boolean; filters?: string[] }

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export class Connection {
  /** Read by the uplink, written only here (as are the fields below). */
  state: 'idle' | 'opening' | 'connecting' | 'up' = 'idle';
  /** The MQTT version of this link (or of the last one). */
  protocol: ProtocolVersion;
  /** From the last CONNACK: the broker's receive maximum and maximum packet size (MQTT 5). */
  receiveMax = 65_535;
  brokerMaxPacket: number | undefined;

  private now = 0;
  private attemptAt = 0;
  private lastRx = 0; private lastTx = 0;
  private pingOutstanding = false; private keepaliveMs = 0;
  private retainAvailable = true;
  /** The broker refused MQTT 5 (or 3.1.1 worked after a v5 CONNECT was hung up on): stay on 3.1.1. */
  private fellBack = false;
  private tryV4Next = false;

  private reader: PacketReader | undefined;
  /** Bytes received since the last complete packet: bounds what a broker can make us buffer. */
  private partial = 0;
  /** Received and not handled yet, from `inputAt`. */
  private readonly input: Input[] = [];
  private inputAt = 0;
  private readonly out: Uint8Array[] = [];
  private readonly events: ConnectionEvent[] = [];
  /** The SUBSCRIBE is made when it is polled: a failed birth write leaves its id unused. */
  private subscribing = false;

  private nextId = 1;
  private readonly usedIds = new Set<number>();
  private readonly unacked = new Map<number, Unacked>();

  constructor(private readonly cfg: ConnectionConfig) { this.protocol = cfg.version === 4 ? 4 : 5; }

  get up(): boolean { return this.state === 'up'; }

  /** PUBLISHes of this link waiting for their PUBACK (the broker's receive maximum counts them). */
  get inFlight(): number { let n = 0; for (const a of this.unacked.values()) if (!a.filters) n++; return n; }

  /** A new attempt: the transport is being opened. */
  start(now: number): void {
    this.at(now);
    this.state = 'opening';
    this.attemptAt = this.now;
    const v = this.cfg.version;
    this.protocol = v !== 'auto' ? v : this.fellBack || this.tryV4Next ? 4 : 5;
    this.tryV4Next = false;
    this.partial = 0;
    this.out.length = 0; // a DISCONNECT the old link did not take
    this.reader = packetReader(this.protocol,
      (packet) => { this.partial = 0; this.input.push({ packet }); },
      (e) => this.input.push({ malformed: e.message }));
  }

  /** The transport is open: CONNECT. */
  handleOpen(now: number): void {
    this.at(now);
    if (this.state !== 'opening') return;
    const c = this.cfg;
    const v5 = this.protocol === 5;
    const will = { topic: c.will.topic, payload: payload(c.will.payload), qos: 1 as const, retain: true };
    const packet: IConnectPacket = {
      cmd: 'connect', protocolVersion: this.protocol, clientId: c.clientId, clean: false, keepalive: c.keepalive,
      will: v5 ? { ...will, properties: { willDelayInterval: c.willDelay, payloadFormatIndicator: true, contentType: 'text/plain' } } : will,
    };
    if (c.username !== undefined) packet.username = c.username;
    if (c.password !== undefined) packet.password = payload(utf8(c.password));
    if (v5) packet.properties = { sessionExpiryInterval: c.sessionExpiry, maximumPacketSize: c.maxPacket };
    if (this.send(packet)) this.state = 'connecting';
  }

  /** Bytes from the broker, parsed in slices; `pollEvent` handles the packets. A packet past maxPacket ends the link. */
  handleData(bytes: Uint8Array, now: number): void {
    this.at(now);
    const reader = this.reader;
    if (!reader) return;
    for (let at = 0; at < bytes.length; at += SLICE) {
      const slice = bytes.subarray(at, at + SLICE);
      this.partial += slice.length;
      reader.push(slice);
      if (this.partial > this.cfg.maxPacket + 5) { this.input.push({ tooLarge: true }); return; }
    }
  }

  /** The transport closed. */
  handleClose(why: string, now: number): void {
    this.at(now);
    if (this.state === 'idle') return;
    if (this.state === 'connecting' && this.protocol === 5 && this.cfg.version === 'auto' && !this.fellBack) {
      // Some brokers that do not speak MQTT 5 hang up instead of answering the CONNECT.
      this.tryV4Next = true;
      return this.drop(`link closed before CONNACK (${why}); trying MQTT 3.1.1`, undefined, true);
    }
    this.drop(`link closed: ${why}`);
  }

  /** Connect, acknowledgement and keepalive timers. */
  handleTimeout(now: number): void {
    this.at(now);
    const c = this.cfg;
    if (this.state !== 'up') {
      if (this.state !== 'idle' && now - this.attemptAt >= c.connectTimeout) this.drop(`no CONNACK from ${c.server} within ${c.connectTimeout} ms`);
      return;
    }
    // A lost acknowledgement is never sent again on the same link: start a new one.
    const oldest = this.oldestUnacked();
    if (oldest !== undefined && now - oldest >= c.ackTimeout) return this.drop(`no acknowledgement from the broker for ${Math.round(now - oldest)} ms`);
    if (this.keepaliveMs <= 0) return;
    if (now - this.lastRx >= this.keepaliveMs * 1.5) {
      this.drop(`dead link: nothing from the broker for ${Math.round(now - this.lastRx)} ms`);
    } else if (!this.pingOutstanding && now - Math.min(this.lastTx, this.lastRx) >= this.keepaliveMs) {
      this.pingOutstanding = this.send({ cmd: 'pingreq' });
    }
  }

  /** When `handleTimeout` is due, or undefined. */
  pollTimeout(): number | undefined {
    if (this.state !== 'up') return this.state === 'idle' ? undefined : this.attemptAt + this.cfg.connectTimeout;
    let due = Infinity;
    const oldest = this.oldestUnacked();
    if (oldest !== undefined) due = oldest + this.cfg.ackTimeout;
    if (this.keepaliveMs > 0) {
      due = Math.min(due, this.lastRx + this.keepaliveMs * 1.5);
      if (!this.pingOutstanding) due = Math.min(due, Math.min(this.lastTx, this.lastRx) + this.keepaliveMs);
    }
    return due === Infinity ? undefined : due;
  }

  /** The next packet's bytes to write, in order. */
  pollTransmit(): Uint8Array | undefined {
    if (this.out.length === 0 && this.subscribing) {
      this.subscribing = false;
      const filters = this.cfg.subscribe;
      const id = this.allocId();
      this.unacked.set(id, { at: this.now, filters });
      this.send({ cmd: 'subscribe', messageId: id, subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) });
    }
    return this.out.shift();
  }

  /** What happened: handles the received packets one at a time, until one has something to say. */
  pollEvent(): ConnectionEvent | undefined {
    while (this.events.length === 0 && this.inputAt < this.input.length) this.handle(this.input[this.inputAt++]);
    if (this.inputAt >= this.input.length) this.clearInput();
    return this.events.shift();
  }

  /**
   * Queues a PUBLISH. False when not: the link is not up, mqtt-packet refused it (the link is then dropped), or, with
   * `fit`, it is larger than the broker's maximum packet size (or refused), and nothing happens.
   */
  publish(m: Outgoing, now: number, fit = false): boolean {
    this.at(now);
    if (this.state !== 'up') return false;
    const packet = this.publishPacket(m);
    if (!fit) {
      if (m.qos === 1 && m.id !== undefined && !this.unacked.has(m.id)) this.unacked.set(m.id, { at: this.now });
      return this.send(packet);
    }
    let bytes: Uint8Array;
    try { bytes = encodePacket(packet, this.protocol); } catch { return false; }
    if (bytes.length === 0 || bytes.length > (this.brokerMaxPacket ?? Infinity)) return false;
    if (m.qos === 1 && m.id !== undefined) this.unacked.set(m.id, { at: this.now });
    this.queue(bytes);
    return true;
  }

  /** Publishes the will's payload (a clean goodbye: the broker drops the will) and DISCONNECTs. */
  close(now: number): void {
    this.at(now);
    if (this.state === 'up' && this.publishOwn(this.cfg.will)) this.send({ cmd: 'disconnect', reasonCode: reason.normal });
  }

  /** Ends the link from outside (a failed write, a refused event …): a `closed` event follows. */
  abort(why: string, now: number): void { this.at(now); this.drop(why); }

  /** A free packet id, taken until `release`. Throws when all 65,535 are taken. */
  allocId(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.nextId;
      this.nextId = id >= 65_535 ? 1 : id + 1;
      if (!this.usedIds.has(id)) { this.usedIds.add(id); return id; }
    }
    throw new Error('no free packet id');
  }

  release(id: number): void { this.usedIds.delete(id); }

  // --- inside ----------------------------------------------------------------------------

  private at(now: number): void { if (now > this.now) this.now = now; } // time never runs backwards (nor NaN)

  private clearInput(): void { this.input.length = this.inputAt = 0; }

  private queue(bytes: Uint8Array): void { this.out.push(bytes); this.lastTx = this.now; }

  /** Encodes and queues one packet; one mqtt-packet refuses drops the link (unless `dropOnFailure` is false). */
  private send(packet: Packet, dropOnFailure = true): boolean {
    try {
      this.queue(encodePacket(packet, this.protocol));
      return true;
    } catch (err) {
      if (dropOnFailure) this.drop(`cannot write ${packet.cmd}: ${message(err)}`);
      return false;
    }
  }

  private publishPacket(m: Outgoing, text = false): IPublishPacket {
    const packet: IPublishPacket = {
      cmd: 'publish', topic: m.topic, payload: payload(m.payload), qos: m.qos, retain: m.retain && this.retainAvailable, dup: m.dup,
    };
    if (m.qos === 1) packet.messageId = m.id;
    if (this.protocol === 5) {
      const props: NonNullable<IPublishPacket['properties']> = text ? { payloadFormatIndicator: true, contentType: 'text/plain' } : {};
      if (m.contentType) {
        props.contentType = m.contentType;
        if (/^text\/|^application\/json\b/.test(m.contentType)) props.payloadFormatIndicator = true;
      }
      if (m.expiry) props.messageExpiryInterval = m.expiry;
      packet.properties = props;
    }
    return packet;
  }

  /** The birth message or the will's payload, under a packet id of the connection's own. */
  private publishOwn(m: { topic: string; payload: Uint8Array }): boolean {
    const id = this.allocId();
    this.unacked.set(id, { at: this.now, own: true });
    return this.send(this.publishPacket({ topic: m.topic, payload: m.payload, qos: 1, retain: true, dup: false, id }, true));
  }

  private oldestUnacked(): number | undefined {
    let oldest: number | undefined;
    for (const a of this.unacked.values()) oldest = Math.min(a.at, oldest ?? Infinity);
    return oldest;
  }

  /** Ends the link: what was not written is dropped; a DISCONNECT with `code` goes first (MQTT 5, once up). */
  private drop(why: string, code?: number, fallback = false): void {
    this.out.length = 0;
    this.subscribing = false;
    this.clearInput();
    if (code !== undefined && this.protocol === 5 && this.state === 'up') this.send({ cmd: 'disconnect', reasonCode: code }, false);
    // Ids of our own packets are free again; the uplink's stay taken until it releases them.
    for (const [id, a] of this.unacked) if (a.own || a.filters) this.usedIds.delete(id);
    this.unacked.clear();
    this.reader = undefined;
    this.state = 'idle';
    this.events.push({ type: 'closed', reason: why, fallback });
  }

  private protocolError(why: string): void { this.drop(`protocol error: ${why}`, reason.protocolError); }

  private handle(input: Input): void {
    if ('malformed' in input) return this.drop(`malformed packet from the broker: ${input.malformed}`, reason.malformed);
    if ('tooLarge' in input) return this.drop(`a packet from the broker exceeds ${this.cfg.maxPacket} bytes`, reason.tooLarge);
    const p = input.packet;
    this.lastRx = this.now;
    if (this.state === 'connecting') return p.cmd === 'connack' ? this.onConnack(p) : this.protocolError(`${p.cmd} before CONNACK`);
    if (this.state !== 'up') return this.protocolError(`${p.cmd} before CONNECT`);
    switch (p.cmd) {
      case 'puback': case 'suback': return this.onAck(p);
      case 'publish': return this.onPublish(p);
      case 'pingresp':
        // mqtt-packet lets a PINGRESP carry a body; the protocol does not, and a body means the stream is out of step.
        if (p.length) return this.drop('malformed packet from the broker: PINGRESP with a body', reason.malformed);
        this.pingOutstanding = false;
        return;
      case 'disconnect': return this.drop(`the broker disconnected (${hex(p.reasonCode ?? 0)})`);
      default: return this.protocolError(`unexpected ${p.cmd} from the broker`);
    }
  }

  private onConnack(p: IConnackPacket): void {
    const code = p.reasonCode ?? p.returnCode ?? 0;
    if (code !== 0) {
      // 0x84 is MQTT 5's "unsupported protocol version"; a 3.1.1 broker answers return code 1.
      if (this.protocol === 5 && this.cfg.version === 'auto' && (code === reason.unsupportedVersion || code === 1)) {
        this.fellBack = true;
        return this.drop(`the broker refused MQTT 5 (${hex(code)}); using MQTT 3.1.1`, undefined, true);
      }
      return this.drop(`the broker refused the connection: ${connackText(code, this.protocol)}`);
    }
    const props = p.properties ?? {};
    this.state = 'up';
    this.lastRx = this.now;
    this.pingOutstanding = false;
    if (this.protocol === 4 && this.cfg.version === 'auto') this.fellBack = true; // 3.1.1 works here: remember it
    this.receiveMax = typeof props.receiveMaximum === 'number' ? props.receiveMaximum : 65_535;
    this.retainAvailable = props.retainAvailable !== false;
    this.keepaliveMs = 1000 * (typeof props.serverKeepAlive === 'number' ? props.serverKeepAlive : this.cfg.keepalive);
    this.brokerMaxPacket = typeof props.maximumPacketSize === 'number' && props.maximumPacketSize > 0 ? props.maximumPacketSize : undefined;
    // The birth message first, then the subscription (made when polled).
    if (!this.publishOwn(this.cfg.birth)) return;
    this.subscribing = this.cfg.subscribe.length > 0;
    this.events.push({ type: 'connected', sessionPresent: p.sessionPresent });
  }

  /** A PUBACK or SUBACK: it must match the packet id and the kind of what waits for it. */
  private onAck(p: IPubackPacket | ISubackPacket): void {
    const id = p.messageId;
    const a = id === undefined ? undefined : this.unacked.get(id);
    if (id === undefined || !a || (p.cmd === 'suback') !== (a.filters !== undefined)) {
      return this.protocolError(`${p.cmd.toUpperCase()} for unknown packet id ${id}`);
    }
    this.unacked.delete(id);
    if (p.cmd === 'puback' && !a.own) return void this.events.push({ type: 'puback', id, code: p.reasonCode ?? 0 });
    this.release(id);
    if (p.cmd !== 'suback' || !a.filters) return;
    const granted: unknown[] = p.granted ?? [];
    this.events.push({ type: 'subscribed', filters: a.filters, ok: a.filters.map((_, i) => typeof granted[i] === 'number' && (granted[i] as number) < 0x80) });
  }

  private onPublish(p: IPublishPacket): void {
    if (p.qos === 2) return this.protocolError('QoS 2 PUBLISH on a QoS 1 subscription');
    this.events.push({ type: 'message', topic: p.topic, payload: new Uint8Array(p.payload as Uint8Array) });
    if (p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId });
  }
}

const V4_REFUSALS: Readonly<Record<number, string>> = Object.freeze({
  1: 'unacceptable protocol version', 2: 'client id rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorised',
});
const V5_REFUSALS: Readonly<Record<number, string>> = Object.freeze({
  0x80: 'unspecified error', 0x81: 'malformed packet', 0x82: 'protocol error', 0x84: 'unsupported protocol version',
  0x85: 'client id not valid', 0x86: 'bad user name or password', 0x87: 'not authorised', 0x88: 'server unavailable',
  0x89: 'server busy', 0x8a: 'banned', 0x8c: 'bad authentication method', 0x95: 'packet too large',
  0x97: 'quota exceeded', 0x9f: 'connection rate exceeded',
});

function connackText(code: number, protocol: ProtocolVersion): string {
  const text = (protocol === 5 ? V5_REFUSALS : V4_REFUSALS)[code] ?? V4_REFUSALS[code];
  return `${text ?? 'refused'} (${hex(code)})`;
}
