// The MQTT session: the panel's one link to the broker its owner chose.
//
// It owns the connection and nothing else. Events come from the persistent outbox and leave
// it only on their PUBACK; commands go out through `onCommand`; what the broker sends can
// close the link, never throw, and never reach the alarm logic.
//
// Time is injected. The session keeps no timers: the host calls `tick(now)` (now = uptime
// ms) when `nextDeadline()` is reached, after `wake()` asks for it, and after adding events
// to the outbox. Transport callbacks only queue what happened; `tick` handles it, so every
// decision sees the right time and nothing re-enters the session from a socket callback.
import type { Connect, Transport, TransportTarget } from './transport';
import type { Outbox } from './outbox';
import { encodePacket, packetReader, payload, type Packet, type PacketReader, type ProtocolVersion } from './packets';
import { backoffDelay, defaultBackoff, type BackoffRange } from './backoff';
import { topicsFor, topicProblem, type Topics } from './topics';
import { encodeStatus } from './payloads';

export interface SessionConfig {
  host: string;
  port: number;
  /** TLS (mqtts): CA from the config, optional client certificate and key. */
  tls?: TransportTarget['tls'];
  username?: string;
  password?: string;
  clientId: string;
  /** First topic level (default "alarm"). */
  prefix?: string;
  panelId: string;
  /** MQTT version: 5, 4 (3.1.1), or 'auto' (default): 5 first, 3.1.1 when the broker refuses 5. */
  version?: 5 | 4 | 'auto';
  /** Keepalive, seconds (default 30; 0 turns pings and dead-link detection off). */
  keepalive?: number;
  /** Events in flight at once, waiting for their PUBACK (default 8). */
  window?: number;
  /** Reconnect delays, ms (default 1 s → 60 s). */
  backoff?: Partial<BackoffRange>;
  /** From opening the socket to CONNACK, ms (default 10 s). */
  connectTimeout?: number;
  /** A PUBACK or SUBACK overdue by this much (ms, default 30 s) means the link is not working. */
  ackTimeout?: number;
  /** MQTT 5: seconds the broker waits before publishing the will (default 10). */
  willDelay?: number;
  /** MQTT 5: seconds the broker keeps the session, with its QoS 1 subscription, after a drop (default 1 day). */
  sessionExpiry?: number;
  /** MQTT 5: seconds a reply stays deliverable (default 60). */
  replyExpiry?: number;
  /** Largest packet accepted from the broker, bytes (default 16 KiB; announced in MQTT 5). */
  maxPacket?: number;
}

export interface SessionHooks {
  connect: Connect;
  outbox: Outbox;
  /** Uniform in [0, 1): the jitter of the reconnect delays (default Math.random). */
  random?: () => number;
  /** A command payload from `{p}/{id}/cmd`, handed over before its PUBACK. */
  onCommand?: (bytes: Uint8Array) => void;
  /** The link went up or down (reported on change only). */
  onStatus?: (up: boolean, reason: string) => void;
  /** Something arrived from the transport: call `tick` soon. */
  wake?: () => void;
}

export interface SessionInfo {
  up: boolean;
  /** The MQTT version in use (or to be tried next). */
  protocol: ProtocolVersion;
  /** Events published and not yet acknowledged (or waiting to be resent). */
  inflight: number;
  /** The command subscription on this link. */
  commands: 'pending' | 'subscribed' | 'refused';
  /** Links accepted by the broker so far. */
  links: number;
  /** Failed attempts since the link was last stable (the backoff exponent). */
  attempts: number;
  /** Event PUBLISHes written, resends included. */
  sent: number;
  /** Event PUBLISHes written again with DUP after a reconnect. */
  resent: number;
  /** Why the link last went down, if it did. */
  lastReason?: string;
}

const reason = { normal: 0x00, malformed: 0x81, protocolError: 0x82, unsupportedVersion: 0x84, tooLarge: 0x95 } as const;
/** A link that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;
const MAX_REPLIES = 16;
/** Queued transport callbacks handled per tick; the rest wait for the next one. */
const INBOX_BUDGET = 1_000;
/** Bytes handed to the packet parser at once. */
const SLICE = 512;

type Phase = 'waiting' | 'opening' | 'connecting' | 'up' | 'stopped';
type Happening =
  | { link: number; kind: 'open' }
  | { link: number; kind: 'data'; bytes: Uint8Array }
  | { link: number; kind: 'close'; reason: string };
/** What a packet id stands for while it waits for its acknowledgement. */
type Awaiting = ({ kind: 'event'; seq: number } | { kind: 'reply'; bytes: Uint8Array } | { kind: 'message' } | { kind: 'subscribe' }) & { at: number };
interface InFlight { id: number; sent: boolean }
interface Reply { bytes: Uint8Array; id?: number }

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

type Settings = SessionConfig & Required<Pick<SessionConfig,
  'prefix' | 'version' | 'keepalive' | 'window' | 'connectTimeout' | 'ackTimeout' | 'willDelay' | 'sessionExpiry' | 'replyExpiry' |
  'maxPacket'>>;

export class Session {
  private readonly cfg: Settings;
  private readonly backoff: BackoffRange;
  private readonly topics: Topics;
  private readonly random: () => number;

  private phase: Phase = 'waiting';
  private now = 0;
  private retryAt = -Infinity;
  private attemptAt = 0;
  private upSince = 0;
  private lastRx = 0;
  private lastTx = 0;
  private pingOutstanding = false;
  private attempts = 0;
  private reported: boolean | undefined;
  private lastReason: string | undefined;

  /** Counts links; callbacks of an older link are ignored. */
  private link = 0;
  private transport: Transport | undefined;
  private reader: PacketReader | undefined;
  private readonly inbox: Happening[] = [];
  /** Bytes received since the last complete packet: bounds what a broker can make us buffer. */
  private partial = 0;

  private protocol: ProtocolVersion = 5;
  /** The broker refused MQTT 5 (or took 3.1.1 after dropping a v5 CONNECT): stay on 3.1.1. */
  private fellBack = false;
  private tryV4Next = false;
  private keepaliveMs = 0;
  private receiveMax = 65_535;
  private retainAvailable = true;
  private commands: SessionInfo['commands'] = 'pending';

  private nextId = 1;
  private readonly usedIds = new Set<number>();
  private readonly awaiting = new Map<number, Awaiting>();
  /** Outbox events published and not yet acknowledged, by seq; they keep their packet id across links. */
  private readonly inflight = new Map<number, InFlight>();
  private readonly replies: Reply[] = [];
  private state: Uint8Array | undefined;
  /** The snapshot has not been published on this link yet. */
  private stateDirty = false;
  private links = 0;
  private sent = 0;
  private resent = 0;

  constructor(config: SessionConfig, private readonly hooks: SessionHooks) {
    const problem = configProblem(config);
    if (problem) throw new Error(`uplink config: ${problem}`);
    this.cfg = {
      prefix: 'alarm', version: 'auto', keepalive: 30, window: 8, connectTimeout: 10_000, ackTimeout: 30_000,
      willDelay: 10, sessionExpiry: 86_400, replyExpiry: 60, maxPacket: 16_384,
      ...stripUndefined(config),
    } as Settings;
    this.backoff = { ...defaultBackoff, ...stripUndefined(config.backoff ?? {}) };
    this.topics = topicsFor(this.cfg.prefix, this.cfg.panelId);
    this.random = hooks.random ?? Math.random;
    if (this.cfg.version === 4) this.protocol = 4;
  }

  /** The latest state snapshot (CBOR): published retained at the next tick if the link is up, and on every connect. */
  publishState(bytes: Uint8Array): void {
    this.state = bytes;
    this.stateDirty = true;
    this.wakeHost();
  }

  /** Publishes a command reply (CBOR) on `{p}/{id}/reply`, QoS 1, not retained; queued while the link is down. */
  reply(bytes: Uint8Array): void {
    if (this.replies.length >= MAX_REPLIES) this.replies.shift();
    this.replies.push({ bytes });
    this.wakeHost();
  }

  /** Publishes "offline", disconnects cleanly and stays down. */
  stop(): void {
    if (this.phase === 'stopped') return;
    if (this.phase === 'up') {
      this.publish(this.topics.status, encodeStatus('offline'), { id: this.allocId(), retain: true, text: true });
      if (this.transport) this.send({ cmd: 'disconnect', reasonCode: reason.normal } as Packet);
    }
    this.closeLink();
    this.phase = 'stopped';
    this.report(false, 'stopped');
  }

  info(): SessionInfo {
    return {
      up: this.phase === 'up', protocol: this.protocol, inflight: this.inflight.size, commands: this.commands,
      links: this.links, attempts: this.attempts, sent: this.sent, resent: this.resent, lastReason: this.lastReason,
    };
  }

  /** When `tick` is due next (uptime ms), or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    if (this.phase === 'stopped') return undefined;
    if (this.inbox.length > 0) return this.now;
    switch (this.phase) {
      case 'waiting': return Math.max(this.retryAt, this.now);
      case 'opening':
      case 'connecting': return this.attemptAt + this.cfg.connectTimeout;
      case 'up': {
        let due = this.attempts > 0 ? this.upSince + STABLE_MS : Infinity;
        const oldest = this.oldestAwaiting();
        if (oldest !== undefined) due = Math.min(due, oldest + this.cfg.ackTimeout);
        if (this.stateDirty || this.replies.length > 0) due = this.now;
        if (this.keepaliveMs > 0) {
          due = Math.min(due, this.lastRx + this.keepaliveMs * 1.5);
          if (!this.pingOutstanding) due = Math.min(due, Math.min(this.lastTx, this.lastRx) + this.keepaliveMs);
        }
        return due === Infinity ? undefined : due;
      }
    }
  }

  /** Runs everything due at `now`: queued transport callbacks, timers, publishing. Never throws. */
  tick(now: number): void {
    if (this.phase === 'stopped') return;
    if (now > this.now) this.now = now; // time never runs backwards (nor NaN)
    try {
      // A few rounds, so that what a round writes and the transport answers at once
      // (an in-memory broker does) is handled in the same tick.
      for (let round = 0; round < 8; round++) {
        this.handleInbox();
        this.timers();
        this.pump();
        if (this.inbox.length === 0) break;
      }
    } catch (err) {
      // A bug of ours must not take the panel down: drop the link and start over.
      try { this.drop(`internal error: ${message(err)}`); } catch { /* nothing more to do */ }
    }
  }

  // --- the link --------------------------------------------------------------------------

  private wakeHost(): void {
    try { this.hooks.wake?.(); } catch { /* the host's problem, not the session's */ }
  }

  private post(happening: Happening): void {
    const idle = this.inbox.length === 0;
    this.inbox.push(happening);
    if (idle) this.wakeHost();
  }

  private chooseVersion(): ProtocolVersion {
    if (this.cfg.version !== 'auto') return this.cfg.version;
    if (this.fellBack) return 4;
    if (this.tryV4Next) { this.tryV4Next = false; return 4; }
    return 5;
  }

  private open(): void {
    const link = ++this.link;
    this.phase = 'opening';
    this.attemptAt = this.now;
    this.protocol = this.chooseVersion();
    this.partial = 0;
    this.reader = packetReader(this.protocol, (p) => this.onPacket(link, p), (e) => this.onMalformed(link, e));
    const target: TransportTarget = { host: this.cfg.host, port: this.cfg.port };
    if (this.cfg.tls) target.tls = this.cfg.tls;
    try {
      this.transport = this.hooks.connect(target, {
        onConnect: () => this.post({ link, kind: 'open' }),
        onData: (bytes) => this.post({ link, kind: 'data', bytes }),
        onClose: (why) => this.post({ link, kind: 'close', reason: String(why) }),
      });
    } catch (err) {
      this.drop(`cannot open ${this.cfg.host}:${this.cfg.port}: ${message(err)}`);
    }
  }

  private handleInbox(): void {
    for (let budget = INBOX_BUDGET; budget > 0 && this.inbox.length > 0; budget--) {
      const h = this.inbox.shift()!;
      if (h.link !== this.link) continue; // from a link already given up
      if (h.kind === 'open') {
        if (this.phase === 'opening') this.sendConnect();
      } else if (h.kind === 'data') {
        this.read(h.link, h.bytes);
      } else if (this.phase === 'connecting' && this.protocol === 5 && this.cfg.version === 'auto' && !this.fellBack) {
        // Some brokers that do not speak MQTT 5 hang up instead of answering the CONNECT.
        this.tryV4Next = true;
        this.drop(`link closed before CONNACK (${h.reason}); trying MQTT 3.1.1`, undefined, true);
      } else {
        this.drop(`link closed: ${h.reason}`);
      }
    }
    if (this.inbox.length > 0) this.wakeHost();
  }

  /**
   * Feeds the parser in slices and counts the bytes since the last complete packet, so that a
   * broker announcing a huge packet cannot make the panel buffer more than about maxPacket.
   */
  private read(link: number, bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length && link === this.link; at += SLICE) {
      const slice = bytes.subarray(at, at + SLICE);
      this.partial += slice.length;
      this.reader?.push(slice);
      if (link === this.link && this.partial > this.cfg.maxPacket + 5) {
        this.drop(`a packet from the broker exceeds ${this.cfg.maxPacket} bytes`, reason.tooLarge);
      }
    }
  }

  private timers(): void {
    const now = this.now;
    switch (this.phase) {
      case 'waiting':
        if (now >= this.retryAt) this.open();
        return;
      case 'opening':
      case 'connecting':
        if (now - this.attemptAt >= this.cfg.connectTimeout) {
          this.drop(`no CONNACK from ${this.cfg.host}:${this.cfg.port} within ${this.cfg.connectTimeout} ms`);
        }
        return;
      case 'up': {
        if (this.attempts > 0 && now - this.upSince >= STABLE_MS) this.attempts = 0;
        // A lost acknowledgement is never sent again on the same link: start a new one.
        const oldest = this.oldestAwaiting();
        if (oldest !== undefined && now - oldest >= this.cfg.ackTimeout) {
          return this.drop(`no acknowledgement from the broker for ${Math.round(now - oldest)} ms`);
        }
        if (this.keepaliveMs <= 0) return;
        if (now - this.lastRx >= this.keepaliveMs * 1.5) {
          this.drop(`dead link: nothing from the broker for ${Math.round(now - this.lastRx)} ms`);
        } else if (!this.pingOutstanding && now - Math.min(this.lastTx, this.lastRx) >= this.keepaliveMs) {
          this.pingOutstanding = this.send({ cmd: 'pingreq' });
        }
      }
    }
  }

  private oldestAwaiting(): number | undefined {
    let oldest: number | undefined;
    for (const a of this.awaiting.values()) if (oldest === undefined || a.at < oldest) oldest = a.at;
    return oldest;
  }

  private sendConnect(): void {
    const v5 = this.protocol === 5;
    const status = payload(encodeStatus('offline'));
    const packet: Record<string, unknown> = {
      cmd: 'connect', protocolVersion: this.protocol, clientId: this.cfg.clientId,
      clean: false, keepalive: this.cfg.keepalive,
      will: v5
        ? { topic: this.topics.status, payload: status, qos: 1, retain: true,
            properties: { willDelayInterval: this.cfg.willDelay, payloadFormatIndicator: true, contentType: 'text/plain' } }
        : { topic: this.topics.status, payload: status, qos: 1, retain: true },
    };
    if (this.cfg.username !== undefined) packet.username = this.cfg.username;
    if (this.cfg.password !== undefined) packet.password = this.cfg.password; // mqtt-packet writes a string as UTF-8
    if (v5) packet.properties = { sessionExpiryInterval: this.cfg.sessionExpiry, maximumPacketSize: this.cfg.maxPacket };
    if (this.send(packet as unknown as Packet)) this.phase = 'connecting';
  }

  private linkUp(connack: { sessionPresent?: boolean; properties?: Record<string, unknown> }): void {
    const props = connack.properties ?? {};
    this.phase = 'up';
    this.links++;
    this.upSince = this.lastRx = this.now;
    this.pingOutstanding = false;
    if (this.protocol === 4 && this.cfg.version === 'auto') this.fellBack = true; // 3.1.1 works here: remember it
    this.receiveMax = typeof props.receiveMaximum === 'number' ? props.receiveMaximum : 65_535;
    this.retainAvailable = props.retainAvailable !== false;
    this.keepaliveMs = 1000 * (typeof props.serverKeepAlive === 'number' ? props.serverKeepAlive : this.cfg.keepalive);
    this.commands = 'pending';

    // Birth message first, then the retained state, then the command subscription.
    if (!this.publish(this.topics.status, encodeStatus('online'), { id: this.allocId(), retain: true, text: true })) return;
    this.stateDirty = this.state !== undefined;
    const id = this.allocId();
    this.awaiting.set(id, { kind: 'subscribe', at: this.now });
    this.send({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: this.topics.cmd, qos: 1 }] } as Packet);
    if (this.phase !== 'up') return;

    // Forget in-flight events the outbox no longer holds; the others are resent by pump().
    const held = new Set(this.peek(Math.max(this.cfg.window, this.inflight.size)).map((e) => e.seq));
    for (const [seq, f] of this.inflight) {
      if (!held.has(seq)) { this.inflight.delete(seq); this.usedIds.delete(f.id); }
    }
    this.report(true, `connected to ${this.cfg.host}:${this.cfg.port} (MQTT ${this.protocol === 5 ? '5' : '3.1.1'})`);
  }

  /**
   * Closes the link and schedules the next attempt. `code`: MQTT 5 DISCONNECT reason to send
   * first. `fallback`: retry at once with 3.1.1, and do not report it as the link going down.
   */
  private drop(why: string, code?: number, fallback = false): void {
    if (this.phase === 'stopped') return;
    if (code !== undefined && this.protocol === 5 && this.phase === 'up') {
      this.send({ cmd: 'disconnect', reasonCode: code } as Packet, false);
    }
    this.closeLink();
    this.phase = 'waiting';
    this.retryAt = this.now + (fallback ? 0 : backoffDelay(this.attempts++, this.backoff, this.random));
    this.lastReason = why;
    if (!fallback) this.report(false, why);
  }

  private closeLink(): void {
    const t = this.transport;
    this.transport = undefined;
    this.reader = undefined;
    this.link++; // whatever the old link still reports is stale
    if (t) { try { t.close(); } catch { /* already gone */ } }
    // In-flight events go again, with DUP and their packet id, on the next link; an
    // unacknowledged reply is queued again; the rest (status, state, subscribe) is redone anyway.
    for (const f of this.inflight.values()) f.sent = false;
    const again: Reply[] = [];
    for (const [id, a] of this.awaiting) {
      if (a.kind === 'reply') again.push({ bytes: a.bytes, id });
      else if (a.kind !== 'event') this.usedIds.delete(id);
    }
    this.awaiting.clear();
    this.replies.unshift(...again);
  }

  private report(up: boolean, why: string): void {
    if (this.reported === up) return;
    this.reported = up;
    try { this.hooks.onStatus?.(up, why); } catch { /* a logging hook cannot break the link */ }
  }

  // --- writing -------------------------------------------------------------------------

  /** Writes one packet; a failed write drops the link (unless `dropOnFailure` is false). */
  private send(packet: Packet, dropOnFailure = true): boolean {
    const t = this.transport;
    if (!t) return false;
    let ok = false;
    let why = 'the transport refused the write';
    try {
      ok = t.write(encodePacket(packet, this.protocol));
    } catch (err) {
      why = `cannot write ${packet.cmd}: ${message(err)}`;
    }
    if (ok) this.lastTx = this.now;
    else if (dropOnFailure) this.drop(why);
    return ok;
  }

  private publish(topic: string, bytes: Uint8Array, o: { id: number; retain: boolean; dup?: boolean; text?: boolean; expiry?: number }): boolean {
    const packet: Record<string, unknown> = {
      cmd: 'publish', topic, payload: payload(bytes), qos: 1, messageId: o.id,
      retain: o.retain && this.retainAvailable, dup: o.dup === true,
    };
    if (this.protocol === 5) {
      packet.properties = o.text
        ? { payloadFormatIndicator: true, contentType: 'text/plain' }
        : o.expiry ? { contentType: 'application/cbor', messageExpiryInterval: o.expiry } : { contentType: 'application/cbor' };
    }
    if (!this.awaiting.has(o.id)) this.awaiting.set(o.id, { kind: 'message', at: this.now });
    return this.send(packet as unknown as Packet);
  }

  private allocId(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.nextId;
      this.nextId = id >= 65_535 ? 1 : id + 1;
      if (!this.usedIds.has(id)) { this.usedIds.add(id); return id; }
    }
    throw new Error('no free packet id');
  }

  private peek(max: number): Array<{ seq: number; payload: Uint8Array }> {
    try {
      return this.hooks.outbox.peek(max);
    } catch {
      return []; // the store's trouble: try again on the next tick
    }
  }

  /** Publishes what waits: the state, queued replies, then outbox events up to the window. */
  private pump(): void {
    if (this.phase !== 'up') return;
    if (this.stateDirty && this.state) {
      this.stateDirty = false;
      if (!this.publish(this.topics.state, this.state, { id: this.allocId(), retain: true })) return;
    }
    while (this.replies.length > 0) {
      const r = this.replies.shift()!;
      const id = r.id ?? this.allocId();
      this.awaiting.set(id, { kind: 'reply', bytes: r.bytes, at: this.now }); // queued again if the link drops
      if (!this.publish(this.topics.reply, r.bytes, { id, retain: false, dup: r.id !== undefined, expiry: this.cfg.replyExpiry })) return;
    }

    // The broker's receive maximum counts every unacknowledged QoS 1 PUBLISH.
    let others = 0;
    for (const a of this.awaiting.values()) if (a.kind === 'reply' || a.kind === 'message') others++;
    const room = Math.min(this.cfg.window, this.receiveMax - others);
    if (room <= 0) return;
    for (const entry of this.peek(room)) {
      if (this.phase !== 'up') return;
      let f = this.inflight.get(entry.seq);
      if (f?.sent) continue;
      const dup = f !== undefined;
      if (!f) { f = { id: this.allocId(), sent: false }; this.inflight.set(entry.seq, f); }
      this.awaiting.set(f.id, { kind: 'event', seq: entry.seq, at: this.now });
      if (!this.publish(this.topics.event, entry.payload, { id: f.id, retain: false, dup })) return;
      f.sent = true;
      this.sent++;
      if (dup) this.resent++;
    }
  }

  // --- reading -------------------------------------------------------------------------

  private onMalformed(link: number, err: Error): void {
    if (link === this.link) this.drop(`malformed packet from the broker: ${err.message}`, reason.malformed);
  }

  private protocolError(why: string): void {
    this.drop(`protocol error: ${why}`, reason.protocolError);
  }

  private onPacket(link: number, p: Packet): void {
    if (link !== this.link) return; // the rest of a chunk that already closed its link
    this.partial = 0;
    this.lastRx = this.now;
    if (this.phase === 'connecting') {
      if (p.cmd !== 'connack') return this.protocolError(`${p.cmd} before CONNACK`);
      return this.onConnack(p as Packet & { reasonCode?: number; returnCode?: number; sessionPresent?: boolean });
    }
    if (this.phase !== 'up') return this.protocolError(`${p.cmd} before CONNECT`);
    switch (p.cmd) {
      case 'puback': return this.onPuback(p.messageId, (p as { reasonCode?: number }).reasonCode ?? 0);
      case 'suback': return this.onSuback(p.messageId, p.granted as number[]);
      case 'publish': return this.onPublish(p);
      case 'pingresp':
        // mqtt-packet lets a PINGRESP carry a body; the protocol does not, and a body means the stream is out of step.
        if ((p as { length?: number }).length) return this.drop('malformed packet from the broker: PINGRESP with a body', reason.malformed);
        this.pingOutstanding = false;
        return;
      case 'disconnect': {
        const code = (p as { reasonCode?: number }).reasonCode ?? 0;
        return this.drop(`the broker disconnected (${hex(code)})`);
      }
      default: return this.protocolError(`unexpected ${p.cmd} from the broker`);
    }
  }

  private onConnack(p: { reasonCode?: number; returnCode?: number; sessionPresent?: boolean; properties?: Record<string, unknown> }): void {
    const code = p.reasonCode ?? p.returnCode ?? 0;
    if (code === 0) return this.linkUp(p);
    // 0x84 is MQTT 5's "unsupported protocol version"; a 3.1.1 broker answers return code 1.
    if (this.protocol === 5 && this.cfg.version === 'auto' && (code === reason.unsupportedVersion || code === 1)) {
      this.fellBack = true;
      return this.drop(`the broker refused MQTT 5 (${hex(code)}); using MQTT 3.1.1`, undefined, true);
    }
    this.drop(`the broker refused the connection: ${connackText(code, this.protocol)}`);
  }

  private onPuback(id: number | undefined, code: number): void {
    const a = id === undefined ? undefined : this.awaiting.get(id);
    if (id === undefined || !a || a.kind === 'subscribe') return this.protocolError(`PUBACK for unknown packet id ${id}`);
    if (a.kind === 'event' && code >= 0x80) {
      // Refused (not authorised, quota …): the event stays in the outbox, the link starts over.
      return this.drop(`the broker refused event ${a.seq} (${hex(code)})`);
    }
    this.awaiting.delete(id);
    this.usedIds.delete(id);
    if (a.kind === 'event') {
      this.inflight.delete(a.seq);
      try { this.hooks.outbox.ack(a.seq); } catch { /* the store retries its own writes */ }
    }
  }

  private onSuback(id: number | undefined, granted: number[] | undefined): void {
    const a = id === undefined ? undefined : this.awaiting.get(id);
    if (id === undefined || a?.kind !== 'subscribe') return this.protocolError(`SUBACK for unknown packet id ${id}`);
    this.awaiting.delete(id);
    this.usedIds.delete(id);
    const g = granted?.[0];
    this.commands = typeof g === 'number' && g < 0x80 ? 'subscribed' : 'refused';
  }

  private onPublish(p: Packet & { cmd: 'publish' }): void {
    if (p.qos === 2) return this.protocolError('QoS 2 PUBLISH on a QoS 1 subscription');
    if (p.topic === this.topics.cmd) {
      const bytes = new Uint8Array(p.payload as Uint8Array); // a copy the callee may keep
      try { this.hooks.onCommand?.(bytes); } catch { /* a bad command cannot break the link */ }
    }
    if (p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId } as Packet);
  }
}

function connackText(code: number, protocol: ProtocolVersion): string {
  const v4: Record<number, string> = {
    1: 'unacceptable protocol version', 2: 'client id rejected', 3: 'server unavailable',
    4: 'bad user name or password', 5: 'not authorised',
  };
  const v5: Record<number, string> = {
    0x80: 'unspecified error', 0x81: 'malformed packet', 0x82: 'protocol error', 0x84: 'unsupported protocol version',
    0x85: 'client id not valid', 0x86: 'bad user name or password', 0x87: 'not authorised', 0x88: 'server unavailable',
    0x89: 'server busy', 0x8a: 'banned', 0x8c: 'bad authentication method', 0x95: 'packet too large',
    0x97: 'quota exceeded', 0x9f: 'connection rate exceeded',
  };
  const text = (protocol === 5 ? v5 : v4)[code] ?? v4[code];
  return `${text ?? 'refused'} (${hex(code)})`;
}

function configProblem(c: SessionConfig): string | undefined {
  if (!c || typeof c !== 'object') return 'missing';
  if (typeof c.host !== 'string' || c.host.length === 0) return 'host is empty';
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65_535) return `port ${c.port} is not 1–65535`;
  if (typeof c.clientId !== 'string' || c.clientId.length === 0 || c.clientId.length > 128) return 'client id must be 1–128 characters';
  if (c.version !== undefined && c.version !== 4 && c.version !== 5 && c.version !== 'auto') return `version must be 5, 4 or 'auto'`;
  if (c.keepalive !== undefined && (!Number.isInteger(c.keepalive) || c.keepalive < 0 || c.keepalive > 65_535)) return 'keepalive must be 0–65535 s';
  if (c.window !== undefined && (!Number.isInteger(c.window) || c.window < 1 || c.window > 1_000)) return 'window must be 1–1000';
  if (c.password !== undefined && c.username === undefined) return 'a password needs a user name';
  return topicProblem(c.prefix ?? 'alarm', c.panelId);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
