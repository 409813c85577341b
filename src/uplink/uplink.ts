// The uplink: the panel's one link to the broker its owner chose.
//
// It owns the transport (with its reconnect backoff) and what goes over it; the MQTT protocol
// itself is the sans-IO connection's (connection.ts). Events come from the persistent outbox and
// leave it only on their PUBACK; commands go out through `onCommand`, messages on other
// subscribed topics through `onMessage`; other messages (replies, log chunks, Home Assistant
// topics) wait in a bounded queue while the link is down. What the broker sends can close the
// link, never throw, and never reach the alarm logic.
//
// Time is injected. The uplink keeps no timers: the host calls `tick(now)` (now = uptime ms)
// when `nextDeadline()` is reached, after `wake()` asks for it, and after adding events to the
// outbox. Transport callbacks only queue what happened; `tick` handles it, so every decision
// sees the right time and nothing re-enters the uplink from a socket callback.
import type { Connect, Transport, TransportTarget } from './transport';
import type { Outbox } from '../store/outbox';
import type { ProtocolVersion } from './packets';
import { Connection, hex, type ConnectionEvent, type Outgoing } from './connection';
import { backoffDelay, defaultBackoff, type BackoffRange } from './backoff';
import { isTopicFilter, isTopicName, topicMatches, topicsFor, topicProblem, type Topics } from './topics';
import { encodeStatus } from './payloads';

export interface UplinkConfig {
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
  /** Largest packet the panel writes for a queued message, bytes (default 8 KiB; less when the broker says so). */
  maxOutgoingPacket?: number;
  /** Topic filters to subscribe to besides `{p}/{id}/cmd` (QoS 1); what arrives goes to `onMessage`. */
  subscriptions?: string[];
}

/** How a message other than an event is published (see `Uplink.publish`). */
export interface PublishOptions {
  retain: boolean;
  qos: 0 | 1;
  /** MQTT 5 content type; `text/…` and `application/json` are also flagged as UTF-8. */
  contentType?: string;
  /** MQTT 5 message expiry, seconds. */
  expiry?: number;
}

export interface UplinkHooks {
  connect: Connect;
  outbox: Outbox;
  /** Uniform in [0, 1): the jitter of the reconnect delays (default Math.random). */
  random?: () => number;
  /** A command payload from `{p}/{id}/cmd`, handed over before its PUBACK. */
  onCommand?: (bytes: Uint8Array) => void;
  /** A message on one of the extra `subscriptions`, handed over before its PUBACK. */
  onMessage?: (topic: string, bytes: Uint8Array) => void;
  /** The link went up or down (reported on change only). */
  onStatus?: (up: boolean, reason: string) => void;
  /** Something arrived from the transport: call `tick` soon. */
  wake?: () => void;
}

export interface UplinkInfo {
  up: boolean;
  /** The MQTT version in use (or to be tried next). */
  protocol: ProtocolVersion;
  /** Events published and not yet acknowledged (or waiting to be resent). */
  inflight: number;
  /** The command subscription on this link. */
  commands: 'pending' | 'subscribed' | 'refused';
  /** The extra subscriptions on this link, by filter. */
  subscriptions: Record<string, 'pending' | 'subscribed' | 'refused'>;
  /** Messages waiting in the queue (not yet written on this link). */
  queued: number;
  /** Queued messages dropped because they did not fit the broker's maximum packet size. */
  oversize: number;
  /** The broker's maximum packet size from the last CONNACK (MQTT 5), if it announced one. */
  brokerMaxPacket?: number;
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
  /** Chunks from the transport dropped because MAX_INBOX were already waiting (the link is then restarted). */
  inboxDropped: number;
}

/** A link that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;
const MAX_REPLIES = 16;
/** Queued messages, and their payload bytes, at most: room for a whole event-log export in chunks. */
const MAX_MESSAGES = 256;
const MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * Bytes of a PUBLISH besides its topic and payload, at most: fixed header (5), topic length (2),
 * packet id (2), and the MQTT 5 properties this uplink writes (content type up to 64 bytes,
 * payload format, expiry, their length).
 */
const PUBLISH_OVERHEAD = 5 + 2 + 2 + 4 + (3 + 64) + 2 + 5;
/** Queued transport callbacks handled per tick; the rest wait for the next one. */
const INBOX_BUDGET = 1_000;
/** Bytes from the broker parsed per tick, about: a flood costs each tick a bounded time. */
const READ_PER_TICK = 16 * 1024;
/**
 * Transport callbacks waiting at most. A broker that sends faster than the panel reads gets its
 * link closed (and reopened with the usual backoff), not a queue that grows without bound.
 */
const MAX_INBOX = 512;
/** MQTT packet names by type (the high nibble of the first byte), for the reasons given. */
const PACKET_NAMES = Object.freeze(['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth']);

type Phase = 'waiting' | 'linked' | 'stopped';
type Happening =
  | { link: number; kind: 'open' }
  | { link: number; kind: 'data'; bytes: Uint8Array }
  | { link: number; kind: 'close'; reason: string };
/** What a packet id of the uplink's stands for while it waits for its PUBACK. */
type Awaiting =
  | { kind: 'event'; seq: number }
  | { kind: 'reply'; bytes: Uint8Array }
  | { kind: 'queued'; message: Message }
  | { kind: 'state' };
interface InFlight { id: number; sent: boolean }
interface Reply { bytes: Uint8Array; id?: number }
/** A queued message; `id` is set once it went out at QoS 1 (a resend keeps it, with DUP). */
interface Message { topic: string; bytes: Uint8Array; options: PublishOptions; id?: number }

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

type Settings = UplinkConfig & Required<Pick<UplinkConfig,
  'prefix' | 'version' | 'keepalive' | 'window' | 'connectTimeout' | 'ackTimeout' | 'willDelay' | 'sessionExpiry' | 'replyExpiry' |
  'maxPacket' | 'maxOutgoingPacket' | 'subscriptions'>>;

export class Uplink {
  private readonly cfg: Settings;
  private readonly backoff: BackoffRange;
  private readonly topics: Topics;
  private readonly random: () => number;
  private readonly conn: Connection;

  private phase: Phase = 'waiting';
  private now = 0;
  private retryAt = -Infinity;
  private upSince = 0;
  private attempts = 0;
  private reported: boolean | undefined;
  private lastReason: string | undefined;

  /** Counts links; callbacks of an older link are ignored. */
  private link = 0;
  private transport: Transport | undefined;
  private readonly inbox: Happening[] = [];
  /** Bytes this tick may still parse. */
  private readBudget = READ_PER_TICK;
  private inboxDropped = 0;
  /** The link whose flood already queued its close. */
  private floodedLink = 0;

  private commands: UplinkInfo['commands'] = 'pending';
  private subscribed: UplinkInfo['subscriptions'] = {};
  private readonly awaiting = new Map<number, Awaiting>();
  /** Outbox events published and not yet acknowledged, by seq; they keep their packet id across links. */
  private readonly inflight = new Map<number, InFlight>();
  private readonly replies: Reply[] = [];
  private readonly messages: Message[] = [];
  private messageBytes = 0;
  private oversize = 0;
  private state: Uint8Array | undefined;
  /** The snapshot has not been published on this link yet. */
  private stateDirty = false;
  private links = 0;
  private sent = 0;
  private resent = 0;

  constructor(config: UplinkConfig, private readonly hooks: UplinkHooks) {
    const problem = configProblem(config);
    if (problem) throw new Error(`uplink config: ${problem}`);
    const cfg = this.cfg = {
      prefix: 'alarm', version: 'auto', keepalive: 30, window: 8, connectTimeout: 10_000, ackTimeout: 30_000,
      willDelay: 10, sessionExpiry: 86_400, replyExpiry: 60, maxPacket: 16_384, maxOutgoingPacket: 8_192, subscriptions: [],
      ...stripUndefined(config),
    } as Settings;
    this.backoff = { ...defaultBackoff, ...stripUndefined(config.backoff ?? {}) };
    this.topics = topicsFor(cfg.prefix, cfg.panelId);
    this.random = hooks.random ?? Math.random;
    this.conn = new Connection({
      server: `${cfg.host}:${cfg.port}`, clientId: cfg.clientId, username: cfg.username, password: cfg.password,
      version: cfg.version, keepalive: cfg.keepalive, connectTimeout: cfg.connectTimeout, ackTimeout: cfg.ackTimeout,
      willDelay: cfg.willDelay, sessionExpiry: cfg.sessionExpiry, maxPacket: cfg.maxPacket,
      will: { topic: this.topics.status, payload: encodeStatus('offline') },
      birth: { topic: this.topics.status, payload: encodeStatus('online') },
      subscribe: [this.topics.cmd, ...cfg.subscriptions],
    });
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

  /**
   * Publishes a message that is not an event (Home Assistant discovery and state, log chunks …)
   * on `topic`. Queued while the link is down, and sent in order after the state and replies; a
   * QoS 1 message whose PUBACK has not come is sent again, with DUP, on the next link. A queued
   * retained message replaces an older one on the same topic that has not gone out yet: only the
   * latest value matters. Returns false, queuing nothing, when the queue is full (see `canQueue`),
   * the uplink is stopped or the topic is not a topic name.
   */
  publish(topic: string, bytes: Uint8Array, options: PublishOptions): boolean {
    if (this.phase === 'stopped' || !isTopicName(topic)) return false;
    if (options.retain) {
      const older = this.messages.findIndex((m) => m.topic === topic && m.options.retain && m.id === undefined);
      if (older >= 0) this.messageBytes -= this.messages.splice(older, 1)[0].bytes.length;
    }
    if (!this.canQueue(1, bytes.length)) return false;
    this.messages.push({ topic, bytes, options: { ...options } });
    this.messageBytes += bytes.length;
    this.wakeHost();
    return true;
  }

  /** Whether `count` more messages holding `bytes` payload bytes in all fit the queue now. */
  canQueue(count: number, bytes: number): boolean {
    return this.messages.length + count <= MAX_MESSAGES && this.messageBytes + bytes <= MAX_MESSAGE_BYTES;
  }

  /**
   * The largest payload a message on `topic` may carry to fit in one packet: the smaller of this
   * uplink's own limit and the broker's maximum packet size (from the last CONNACK, MQTT 5).
   */
  maxPayload(topic: string): number {
    const packet = Math.min(this.cfg.maxOutgoingPacket, this.conn.brokerMaxPacket ?? Infinity);
    return Math.max(0, packet - PUBLISH_OVERHEAD - utf8Length(topic));
  }

  /** Publishes "offline", disconnects cleanly and stays down. */
  stop(): void {
    if (this.phase === 'stopped') return;
    if (this.linkUp()) {
      this.conn.close(this.now); // "offline", then DISCONNECT; a failed write drops the link as usual
      this.flush();
    }
    this.phase = 'stopped';
    this.conn.abort('stopped', this.now); // its `closed` closes the transport
    this.drain();
    this.report(false, 'stopped');
  }

  info(): UplinkInfo {
    return {
      up: this.linkUp(), protocol: this.conn.protocol, inflight: this.inflight.size, commands: this.commands,
      subscriptions: { ...this.subscribed }, queued: this.messages.length, oversize: this.oversize,
      brokerMaxPacket: this.conn.brokerMaxPacket,
      links: this.links, attempts: this.attempts, sent: this.sent, resent: this.resent, lastReason: this.lastReason,
      inboxDropped: this.inboxDropped,
    };
  }

  /** When `tick` is due next (uptime ms), or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    if (this.phase === 'stopped') return undefined;
    if (this.inbox.length > 0) return this.now;
    if (this.phase === 'waiting') return Math.max(this.retryAt, this.now);
    const timeout = this.conn.pollTimeout();
    if (!this.conn.up) return timeout;
    let due = this.attempts > 0 ? this.upSince + STABLE_MS : Infinity;
    if (timeout !== undefined) due = Math.min(due, timeout);
    if (this.stateDirty || this.replies.length > 0 || this.messageReady()) due = Math.min(due, this.now);
    return due === Infinity ? undefined : due;
  }

  /** Runs everything due at `now`: queued transport callbacks, timers, publishing. Never throws. */
  tick(now: number): void {
    if (this.phase === 'stopped') return;
    if (now > this.now) this.now = now; // time never runs backwards (nor NaN)
    this.readBudget = READ_PER_TICK;
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

  private linkUp(): boolean {
    return this.phase === 'linked' && this.conn.up;
  }

  private wakeHost(): void {
    try { this.hooks.wake?.(); } catch { /* the host's problem, not the uplink's */ }
  }

  private post(happening: Happening): void {
    if (this.inbox.length >= MAX_INBOX && happening.kind !== 'close') {
      this.inboxDropped++;
      if (this.floodedLink !== happening.link) {
        this.floodedLink = happening.link; // once per link: the close goes in past the cap
        this.inbox.push({ link: happening.link, kind: 'close', reason: `the broker sends faster than the panel reads (${MAX_INBOX} chunks waiting)` });
      }
      return;
    }
    const idle = this.inbox.length === 0;
    this.inbox.push(happening);
    if (idle) this.wakeHost();
  }

  private open(): void {
    const link = ++this.link;
    this.phase = 'linked';
    this.conn.start(this.now);
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
    for (let budget = INBOX_BUDGET; budget > 0 && this.readBudget > 0 && this.inbox.length > 0; budget--) {
      const h = this.inbox.shift()!;
      if (h.link !== this.link) continue; // from a link already given up
      if (h.kind === 'open') this.conn.handleOpen(this.now);
      else if (h.kind === 'data') {
        this.readBudget -= h.bytes.length;
        this.conn.handleData(h.bytes, this.now);
      } else this.conn.handleClose(h.reason, this.now);
      this.drain();
    }
    if (this.inbox.length > 0) this.wakeHost();
  }

  private timers(): void {
    if (this.phase === 'waiting') {
      if (this.now >= this.retryAt) this.open();
      return;
    }
    if (this.phase !== 'linked') return;
    if (this.conn.up && this.attempts > 0 && this.now - this.upSince >= STABLE_MS) this.attempts = 0;
    this.conn.handleTimeout(this.now);
    this.drain();
  }

  /** Ends the link (`closed` follows at once). */
  private drop(why: string): void {
    this.conn.abort(why, this.now);
    this.drain();
  }

  /**
   * Handles what the connection reports, writing what it has to send after each event: the
   * packets it answers with go out before the next received packet is looked at.
   */
  private drain(): void {
    for (;;) {
      const event = this.conn.pollEvent();
      if (event) this.onEvent(event);
      else if (this.write()) return;
    }
  }

  /** Handles what the connection reports and writes what it has to send. False once the link is down. */
  private flush(): boolean {
    this.drain();
    return this.linkUp();
  }

  /**
   * Writes the connection's packets. A refused write ends the link there (unless `drop` is
   * false): false, and the connection reports it closed.
   */
  private write(drop = true): boolean {
    for (let bytes = this.conn.pollTransmit(); bytes; bytes = this.conn.pollTransmit()) {
      const t = this.transport;
      if (!t) continue;
      let ok = false;
      let why = 'the transport refused the write';
      try {
        ok = t.write(bytes);
      } catch (err) {
        why = `cannot write ${PACKET_NAMES[bytes[0] >> 4]}: ${message(err)}`;
      }
      if (!ok) {
        if (drop) this.conn.abort(why, this.now);
        return false;
      }
    }
    return true;
  }

  private onEvent(e: ConnectionEvent): void {
    switch (e.type) {
      case 'connected': return this.onConnected();
      case 'closed': return this.onClosed(e.reason, e.fallback);
      case 'message': {
        if (e.topic === this.topics.cmd) {
          try { this.hooks.onCommand?.(e.payload); } catch { /* a bad command cannot break the link */ }
        } else if (this.cfg.subscriptions.some((f) => topicMatches(f, e.topic))) {
          try { this.hooks.onMessage?.(e.topic, e.payload); } catch { /* nor can a bad message */ }
        }
        this.write(); // its PUBACK
        return;
      }
      case 'puback': return this.onPuback(e.id, e.code);
      case 'subscribed': {
        const status = (ok: boolean) => (ok ? 'subscribed' : 'refused');
        this.commands = status(e.ok[0]);
        e.filters.forEach((filter, i) => { if (i > 0) this.subscribed[filter] = status(e.ok[i]); });
      }
    }
  }

  private onConnected(): void {
    this.links++;
    this.upSince = this.now;
    this.commands = 'pending';
    this.subscribed = {};
    for (const filter of this.cfg.subscriptions) this.subscribed[filter] = 'pending';
    if (!this.write()) return; // the birth message, then the subscription
    this.stateDirty = this.state !== undefined;

    // Forget in-flight events the outbox no longer holds; the others are resent by pump().
    const held = new Set(this.peek(Math.max(this.cfg.window, this.inflight.size)).map((e) => e.seq));
    for (const [seq, f] of this.inflight) {
      if (!held.has(seq)) { this.inflight.delete(seq); this.conn.release(f.id); }
    }
    this.report(true, `connected to ${this.cfg.host}:${this.cfg.port} (MQTT ${this.conn.protocol === 5 ? '5' : '3.1.1'})`);
  }

  /** The link is over: close the transport and schedule the next attempt (at once for a fall-back, unreported). */
  private onClosed(why: string, fallback: boolean): void {
    this.write(false); // the DISCONNECT, if the connection left one
    this.closeLink();
    if (this.phase === 'stopped') return;
    this.phase = 'waiting';
    this.retryAt = this.now + (fallback ? 0 : backoffDelay(this.attempts++, this.backoff, this.random));
    this.lastReason = why;
    if (!fallback) this.report(false, why);
  }

  private closeLink(): void {
    const t = this.transport;
    this.transport = undefined;
    this.link++; // whatever the old link still reports is stale
    if (t) { try { t.close(); } catch { /* already gone */ } }
    // In-flight events go again, with DUP and their packet id, on the next link; an
    // unacknowledged reply is queued again; the rest (status, state, subscribe) is redone anyway.
    for (const f of this.inflight.values()) f.sent = false;
    const again: Reply[] = [];
    const resend: Message[] = [];
    for (const [id, a] of this.awaiting) {
      if (a.kind === 'reply') again.push({ bytes: a.bytes, id });
      else if (a.kind === 'queued') resend.push(a.message);
      else if (a.kind === 'state') this.conn.release(id);
    }
    this.awaiting.clear();
    this.replies.unshift(...again);
    this.messages.unshift(...resend);
    for (const m of resend) this.messageBytes += m.bytes.length;
  }

  private report(up: boolean, why: string): void {
    if (this.reported === up) return;
    this.reported = up;
    try { this.hooks.onStatus?.(up, why); } catch { /* a logging hook cannot break the link */ }
  }

  private onPuback(id: number, code: number): void {
    const a = this.awaiting.get(id);
    if (a?.kind === 'event' && code >= 0x80) {
      // Refused (not authorised, quota …): the event stays in the outbox, the link starts over.
      return this.conn.abort(`the broker refused event ${a.seq} (${hex(code)})`, this.now);
    }
    this.awaiting.delete(id);
    this.conn.release(id);
    if (a?.kind === 'event') {
      this.inflight.delete(a.seq);
      try { this.hooks.outbox.ack(a.seq); } catch { /* the store retries its own writes */ }
    }
  }

  // --- writing -------------------------------------------------------------------------

  /** Publishes one QoS 1 PUBLISH of the uplink's under `id`, remembered as `a`. False once the link is down. */
  private publishAs(a: Awaiting, id: number, m: Omit<Outgoing, 'id' | 'qos'>): boolean {
    this.awaiting.set(id, a);
    this.conn.publish({ ...m, qos: 1, id }, this.now);
    return this.flush();
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
    if (!this.linkUp()) return;
    const cbor = 'application/cbor';
    if (this.stateDirty && this.state) {
      this.stateDirty = false;
      const state = { topic: this.topics.state, payload: this.state, retain: true, dup: false, contentType: cbor };
      if (!this.publishAs({ kind: 'state' }, this.conn.allocId(), state)) return;
    }
    while (this.replies.length > 0) {
      const r = this.replies.shift()!;
      const id = r.id ?? this.conn.allocId();
      const reply = { topic: this.topics.reply, payload: r.bytes, retain: false, dup: r.id !== undefined, contentType: cbor, expiry: this.cfg.replyExpiry };
      if (!this.publishAs({ kind: 'reply', bytes: r.bytes }, id, reply)) return; // queued again if the link drops
    }

    // Nothing queued and no event waiting: the common idle round, done without counting windows.
    if (this.messages.length === 0 && this.hooks.outbox.size() === 0) return;
    // The broker's receive maximum counts every unacknowledged QoS 1 PUBLISH. Queued messages
    // have a window of their own, so a long log export does not hold up the events.
    if (!this.pumpMessages(this.messageRoom())) return;
    const room = Math.min(this.cfg.window, this.conn.receiveMax - (this.conn.inFlight - this.count('event')));
    if (room <= 0) return;
    for (const entry of this.peek(room)) {
      if (!this.linkUp()) return;
      let f = this.inflight.get(entry.seq);
      if (f?.sent) continue;
      const dup = f !== undefined;
      if (!f) { f = { id: this.conn.allocId(), sent: false }; this.inflight.set(entry.seq, f); }
      if (!this.publishAs({ kind: 'event', seq: entry.seq }, f.id, { topic: this.topics.event, payload: entry.payload, retain: false, dup, contentType: cbor })) return;
      f.sent = true;
      this.sent++;
      if (dup) this.resent++;
    }
  }

  private count(kind: Awaiting['kind']): number {
    let n = 0;
    for (const a of this.awaiting.values()) if (a.kind === kind) n++;
    return n;
  }

  /** QoS 1 messages from the queue that may go out now. */
  private messageRoom(): number {
    return Math.min(this.cfg.window - this.count('queued'), this.conn.receiveMax - this.conn.inFlight);
  }

  /** Whether the next queued message can go out now (QoS 0 always can). */
  private messageReady(): boolean {
    const m = this.messages[0];
    return m !== undefined && (m.options.qos === 0 || this.messageRoom() > 0);
  }

  /**
   * Writes queued messages, oldest first, while `room` QoS 1 PUBLISHes may still be in flight.
   * A message too large for the broker's maximum packet size is dropped (and counted): sending
   * it would only get the link closed. False when the link went down.
   */
  private pumpMessages(room: number): boolean {
    while (this.messages.length > 0 && this.linkUp()) {
      const m = this.messages[0];
      const o = m.options;
      if (o.qos === 1 && room <= 0) return true;
      const id = o.qos === 1 ? m.id ?? this.conn.allocId() : undefined;
      const out: Outgoing = { topic: m.topic, payload: m.bytes, qos: o.qos, retain: o.retain, dup: m.id !== undefined && o.qos === 1, id, contentType: o.contentType, expiry: o.expiry };
      const queued = this.conn.publish(out, this.now, true);
      this.messages.shift();
      this.messageBytes -= m.bytes.length;
      if (!queued) {
        if (id !== undefined) this.conn.release(id);
        this.oversize++;
        continue;
      }
      if (id !== undefined) {
        m.id = id;
        this.awaiting.set(id, { kind: 'queued', message: m });
        room--;
      }
      if (!this.flush()) return false;
    }
    return this.linkUp();
  }
}

function configProblem(c: UplinkConfig): string | undefined {
  if (!c || typeof c !== 'object') return 'missing';
  if (typeof c.host !== 'string' || c.host.length === 0) return 'host is empty';
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65_535) return `port ${c.port} is not 1–65535`;
  if (typeof c.clientId !== 'string' || c.clientId.length === 0 || c.clientId.length > 128) return 'client id must be 1–128 characters';
  if (c.version !== undefined && c.version !== 4 && c.version !== 5 && c.version !== 'auto') return `version must be 5, 4 or 'auto'`;
  if (c.keepalive !== undefined && (!Number.isInteger(c.keepalive) || c.keepalive < 0 || c.keepalive > 65_535)) return 'keepalive must be 0–65535 s';
  if (c.window !== undefined && (!Number.isInteger(c.window) || c.window < 1 || c.window > 1_000)) return 'window must be 1–1000';
  if (c.password !== undefined && c.username === undefined) return 'a password needs a user name';
  if (c.subscriptions !== undefined && !Array.isArray(c.subscriptions)) return 'subscriptions must be a list of topic filters';
  for (const f of c.subscriptions ?? []) if (!isTopicFilter(f)) return `subscription ${JSON.stringify(f)} is not a topic filter`;
  return topicProblem(c.prefix ?? 'alarm', c.panelId);
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
