// The MQTT session: the panel's one link to the broker its owner chose.
//
// It owns the connection and nothing else. Events come from the persistent outbox and leave
// it only on their PUBACK; commands go out through `onCommand`, messages on other subscribed
// topics through `onMessage`; other messages (replies, log chunks, Home Assistant topics) wait
// in a bounded queue while the link is down. What the broker sends can close the link, never
// throw, and never reach the alarm logic.
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
  /** Largest packet the panel writes for a queued message, bytes (default 8 KiB; less when the broker says so). */
  maxOutgoingPacket?: number;
  /** Topic filters to subscribe to besides `{p}/{id}/cmd` (QoS 1); what arrives goes to `onMessage`. */
  subscriptions?: string[];
}

/** How a message other than an event is published (see `Session.publish`). */
export interface PublishOptions {
  retain: boolean;
  qos: 0 | 1;
  /** MQTT 5 content type; `text/…` and `application/json` are also flagged as UTF-8. */
  contentType?: string;
  /** MQTT 5 message expiry, seconds. */
  expiry?: number;
}

export interface SessionHooks {
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

export interface SessionInfo {
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

const reason = Object.freeze({ normal: 0x00, malformed: 0x81, protocolError: 0x82, unsupportedVersion: 0x84, tooLarge: 0x95 } as const);
/** A link that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;
const MAX_REPLIES = 16;
/** Queued messages, and their payload bytes, at most: room for a whole event-log export in chunks. */
const MAX_MESSAGES = 256;
const MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * Bytes of a PUBLISH besides its topic and payload, at most: fixed header (5), topic length (2),
 * packet id (2), and the MQTT 5 properties this session writes (content type up to 64 bytes,
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
/** Bytes handed to the packet parser at once. */
const SLICE = 512;

type Phase = 'waiting' | 'opening' | 'connecting' | 'up' | 'stopped';
type Happening =
  | { link: number; kind: 'open' }
  | { link: number; kind: 'data'; bytes: Uint8Array }
  | { link: number; kind: 'close'; reason: string };
/** What a packet id stands for while it waits for its acknowledgement. */
type Awaiting = (
  | { kind: 'event'; seq: number }
  | { kind: 'reply'; bytes: Uint8Array }
  | { kind: 'queued'; message: Message }
  | { kind: 'message' }
  | { kind: 'subscribe'; filters: string[] }
) & { at: number };
interface InFlight { id: number; sent: boolean }
interface Reply { bytes: Uint8Array; id?: number }
/** A queued message; `id` is set once it went out at QoS 1 (a resend keeps it, with DUP). */
interface Message { topic: string; bytes: Uint8Array; options: PublishOptions; id?: number }

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

type Settings = SessionConfig & Required<Pick<SessionConfig,
  'prefix' | 'version' | 'keepalive' | 'window' | 'connectTimeout' | 'ackTimeout' | 'willDelay' | 'sessionExpiry' | 'replyExpiry' |
  'maxPacket' | 'maxOutgoingPacket' | 'subscriptions'>>;

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
  /** Bytes this tick may still parse. */
  private readBudget = READ_PER_TICK;
  private inboxDropped = 0;
  /** The link whose flood already queued its close. */
  private floodedLink = 0;
  /** Bytes received since the last complete packet: bounds what a broker can make us buffer. */
  private partial = 0;

  private protocol: ProtocolVersion = 5;
  /** The broker refused MQTT 5 (or took 3.1.1 after dropping a v5 CONNECT): stay on 3.1.1. */
  private fellBack = false;
  private tryV4Next = false;
  private keepaliveMs = 0;
  private receiveMax = 65_535;
  private retainAvailable = true;
  private brokerMaxPacket: number | undefined;
  private commands: SessionInfo['commands'] = 'pending';
  private subscribed: SessionInfo['subscriptions'] = {};

  private nextId = 1;
  private readonly usedIds = new Set<number>();
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

  constructor(config: SessionConfig, private readonly hooks: SessionHooks) {
    const problem = configProblem(config);
    if (problem) throw new Error(`uplink config: ${problem}`);
    this.cfg = {
      prefix: 'alarm', version: 'auto', keepalive: 30, window: 8, connectTimeout: 10_000, ackTimeout: 30_000,
      willDelay: 10, sessionExpiry: 86_400, replyExpiry: 60, maxPacket: 16_384, maxOutgoingPacket: 8_192, subscriptions: [],
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

  /**
   * Publishes a message that is not an event (Home Assistant discovery and state, log chunks …)
   * on `topic`. Queued while the link is down, and sent in order after the state and replies; a
   * QoS 1 message whose PUBACK has not come is sent again, with DUP, on the next link. A queued
   * retained message replaces an older one on the same topic that has not gone out yet: only the
   * latest value matters. Returns false, queuing nothing, when the queue is full (see `canQueue`),
   * the session is stopped or the topic is not a topic name.
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
   * session's own limit and the broker's maximum packet size (from the last CONNACK, MQTT 5).
   */
  maxPayload(topic: string): number {
    const packet = Math.min(this.cfg.maxOutgoingPacket, this.brokerMaxPacket ?? Infinity);
    return Math.max(0, packet - PUBLISH_OVERHEAD - utf8Length(topic));
  }

  /** Publishes "offline", disconnects cleanly and stays down. */
  stop(): void {
    if (this.phase === 'stopped') return;
    if (this.phase === 'up') {
      this.publishPacket(this.topics.status, encodeStatus('offline'), { id: this.allocId(), retain: true, text: true });
      if (this.transport) this.send({ cmd: 'disconnect', reasonCode: reason.normal } as Packet);
    }
    this.closeLink();
    this.phase = 'stopped';
    this.report(false, 'stopped');
  }

  info(): SessionInfo {
    return {
      up: this.phase === 'up', protocol: this.protocol, inflight: this.inflight.size, commands: this.commands,
      subscriptions: { ...this.subscribed }, queued: this.messages.length, oversize: this.oversize,
      brokerMaxPacket: this.brokerMaxPacket,
      links: this.links, attempts: this.attempts, sent: this.sent, resent: this.resent, lastReason: this.lastReason,
      inboxDropped: this.inboxDropped,
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
        if (this.stateDirty || this.replies.length > 0 || this.messageReady()) due = this.now;
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

  private wakeHost(): void {
    try { this.hooks.wake?.(); } catch { /* the host's problem, not the session's */ }
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
    for (let budget = INBOX_BUDGET; budget > 0 && this.readBudget > 0 && this.inbox.length > 0; budget--) {
      const h = this.inbox.shift()!;
      if (h.link !== this.link) continue; // from a link already given up
      if (h.kind === 'open') {
        if (this.phase === 'opening') this.sendConnect();
      } else if (h.kind === 'data') {
        this.readBudget -= h.bytes.length;
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
    this.brokerMaxPacket = typeof props.maximumPacketSize === 'number' && props.maximumPacketSize > 0 ? props.maximumPacketSize : undefined;
    this.commands = 'pending';
    this.subscribed = {};
    for (const filter of this.cfg.subscriptions) this.subscribed[filter] = 'pending';

    // Birth message first, then the retained state, then the subscriptions (commands first).
    if (!this.publishPacket(this.topics.status, encodeStatus('online'), { id: this.allocId(), retain: true, text: true })) return;
    this.stateDirty = this.state !== undefined;
    const id = this.allocId();
    const filters = [this.topics.cmd, ...this.cfg.subscriptions];
    this.awaiting.set(id, { kind: 'subscribe', filters, at: this.now });
    this.send({ cmd: 'subscribe', messageId: id, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) } as Packet);
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
    const resend: Message[] = [];
    for (const [id, a] of this.awaiting) {
      if (a.kind === 'reply') again.push({ bytes: a.bytes, id });
      else if (a.kind === 'queued') resend.push(a.message);
      else if (a.kind !== 'event') this.usedIds.delete(id);
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

  // --- writing -------------------------------------------------------------------------

  /** Writes one packet; a failed write drops the link (unless `dropOnFailure` is false). */
  private send(packet: Packet, dropOnFailure = true): boolean {
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(packet, this.protocol);
    } catch (err) {
      if (dropOnFailure) this.drop(`cannot write ${packet.cmd}: ${message(err)}`);
      return false;
    }
    return this.write(bytes, packet.cmd, dropOnFailure);
  }

  private write(bytes: Uint8Array, what: string, dropOnFailure = true): boolean {
    const t = this.transport;
    if (!t) return false;
    let ok = false;
    let why = 'the transport refused the write';
    try {
      ok = t.write(bytes);
    } catch (err) {
      why = `cannot write ${what}: ${message(err)}`;
    }
    if (ok) this.lastTx = this.now;
    else if (dropOnFailure) this.drop(why);
    return ok;
  }

  private publishPacket(topic: string, bytes: Uint8Array, o: { id: number; retain: boolean; dup?: boolean; text?: boolean; expiry?: number }): boolean {
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

  /** The PUBLISH of a queued message; a QoS 1 one gets its packet id (kept for a resend). */
  private messagePacket(m: Message): Record<string, unknown> {
    const o = m.options;
    const packet: Record<string, unknown> = {
      cmd: 'publish', topic: m.topic, payload: payload(m.bytes), qos: o.qos,
      retain: o.retain && this.retainAvailable, dup: false,
    };
    if (o.qos === 1) {
      packet.dup = m.id !== undefined;
      packet.messageId = m.id ?? this.allocId();
    }
    if (this.protocol === 5) {
      const props: Record<string, unknown> = {};
      if (o.contentType) {
        props.contentType = o.contentType;
        if (/^text\/|^application\/json\b/.test(o.contentType)) props.payloadFormatIndicator = true;
      }
      if (o.expiry) props.messageExpiryInterval = o.expiry;
      packet.properties = props;
    }
    return packet;
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
      if (!this.publishPacket(this.topics.state, this.state, { id: this.allocId(), retain: true })) return;
    }
    while (this.replies.length > 0) {
      const r = this.replies.shift()!;
      const id = r.id ?? this.allocId();
      this.awaiting.set(id, { kind: 'reply', bytes: r.bytes, at: this.now }); // queued again if the link drops
      if (!this.publishPacket(this.topics.reply, r.bytes, { id, retain: false, dup: r.id !== undefined, expiry: this.cfg.replyExpiry })) return;
    }

    // Nothing queued and no event waiting: the common idle round, done without counting windows.
    if (this.messages.length === 0 && this.hooks.outbox.size() === 0) return;
    // The broker's receive maximum counts every unacknowledged QoS 1 PUBLISH. Queued messages
    // have a window of their own, so a long log export does not hold up the events.
    if (!this.pumpMessages(this.messageRoom())) return;
    const room = Math.min(this.cfg.window, this.receiveMax - this.awaitingCount(['reply', 'message', 'queued']));
    if (room <= 0) return;
    for (const entry of this.peek(room)) {
      if (this.phase !== 'up') return;
      let f = this.inflight.get(entry.seq);
      if (f?.sent) continue;
      const dup = f !== undefined;
      if (!f) { f = { id: this.allocId(), sent: false }; this.inflight.set(entry.seq, f); }
      this.awaiting.set(f.id, { kind: 'event', seq: entry.seq, at: this.now });
      if (!this.publishPacket(this.topics.event, entry.payload, { id: f.id, retain: false, dup })) return;
      f.sent = true;
      this.sent++;
      if (dup) this.resent++;
    }
  }

  private awaitingCount(kinds: ReadonlyArray<Awaiting['kind']>): number {
    let n = 0;
    for (const a of this.awaiting.values()) if (kinds.includes(a.kind)) n++;
    return n;
  }

  /** QoS 1 messages from the queue that may go out now. */
  private messageRoom(): number {
    return Math.min(this.cfg.window - this.awaitingCount(['queued']), this.receiveMax - this.awaitingCount(['reply', 'message', 'queued', 'event']));
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
    while (this.messages.length > 0 && this.phase === 'up') {
      const m = this.messages[0];
      if (m.options.qos === 1 && room <= 0) return true;
      const packet = this.messagePacket(m);
      let bytes: Uint8Array;
      try {
        bytes = encodePacket(packet as unknown as Packet, this.protocol);
      } catch {
        bytes = new Uint8Array(0); // mqtt-packet refused it: nothing to send
      }
      this.messages.shift();
      this.messageBytes -= m.bytes.length;
      if (bytes.length === 0 || bytes.length > (this.brokerMaxPacket ?? Infinity)) {
        if (typeof packet.messageId === 'number') this.usedIds.delete(packet.messageId);
        this.oversize++;
        continue;
      }
      if (m.options.qos === 1) {
        m.id = packet.messageId as number;
        this.awaiting.set(m.id, { kind: 'queued', message: m, at: this.now });
        room--;
      }
      if (!this.write(bytes, 'publish')) return false;
    }
    return this.phase === 'up';
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
    const ok = (g: unknown) => typeof g === 'number' && g < 0x80;
    this.commands = ok(granted?.[0]) ? 'subscribed' : 'refused';
    a.filters.slice(1).forEach((filter, i) => { this.subscribed[filter] = ok(granted?.[i + 1]) ? 'subscribed' : 'refused'; });
  }

  private onPublish(p: Packet & { cmd: 'publish' }): void {
    if (p.qos === 2) return this.protocolError('QoS 2 PUBLISH on a QoS 1 subscription');
    if (p.topic === this.topics.cmd) {
      const bytes = new Uint8Array(p.payload as Uint8Array); // a copy the callee may keep
      try { this.hooks.onCommand?.(bytes); } catch { /* a bad command cannot break the link */ }
    } else if (this.cfg.subscriptions.some((f) => topicMatches(f, p.topic))) {
      const bytes = new Uint8Array(p.payload as Uint8Array);
      try { this.hooks.onMessage?.(p.topic, bytes); } catch { /* nor can a bad message */ }
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
  if (c.subscriptions !== undefined && !Array.isArray(c.subscriptions)) return 'subscriptions must be a list of topic filters';
  for (const f of c.subscriptions ?? []) if (!isTopicFilter(f)) return `subscription ${JSON.stringify(f)} is not a topic filter`;
  return topicProblem(c.prefix ?? 'alarm', c.panelId);
}

// --- topics ------------------------------------------------------------------------------

/** A topic name a client may publish to: not empty, no wildcard, no NUL, not $-reserved. */
function isTopicName(topic: string): boolean {
  return typeof topic === 'string' && topic.length > 0 && topic.length <= 1024 && !/[+#\u0000]/.test(topic) && !topic.startsWith('$');
}

/** A topic filter: `+` only as a whole level, `#` only as the whole last level. */
function isTopicFilter(filter: unknown): filter is string {
  if (typeof filter !== 'string' || filter.length === 0 || filter.length > 1024 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (!l.includes('+') || l === '+') && (!l.includes('#') || (l === '#' && i === levels.length - 1)));
}

/** Whether `topic` matches `filter` (MQTT wildcards; `$` topics never match a leading wildcard). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
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
