// The panel: one core wired to one host.
//
// Data flows one way: pins → drivers → core → effects (siren, journal, uplink). The core
// decides everything; this file only carries inputs in and effects out, in an order that
// puts the siren first and survives a power cut: events are in the journal before the state
// that follows them.
import { initialState, nextDeadline, persisted, restore, snapshot as snapshotOf, step, type Now, type SirenPattern } from './core/machine';
import type { Clock } from './core/clock';
import type { PanelEvent } from './core/events';
import { isAlarmEvent } from './core/events';
import type { Input, Result, Snapshot, State } from './core/machine';
import type { KeypadAction } from './core/io';
import type { Settings } from './core/settings';
import { hashCode, isValidCode, sameHash } from './core/settings';
import type { PanelConfig } from './config';
import { parseBrokerUrl, parseCounters, type Counters } from './config';
import type { Storage } from './store/storage';
import { Journal, type RecoveryReport } from './store/journal';
import { OutboxFull } from './store/outbox';
import { StateStore } from './store/state';
import type { Connect } from './uplink/transport';
import { Session, type SessionInfo } from './uplink/session';
import { StateEncoder, decodeEvent, encodeEvent } from './uplink/payloads';
import { authenticateCommand, encodeReply, refusalReply } from './uplink/commands';
import { encodeLogChunks } from './uplink/log-export';
import { encryptUplinkFor, sealedKey, sealUplink, SEALED_OVERHEAD, UplinkIvs, UPLINK_OVERHEAD, type UplinkKind } from './uplink/uplink-auth';
import type { Outbox } from './uplink/outbox';
import { topicsFor } from './uplink/topics';
import { discoveryConfigs, discoveryPayload, haState, haTopics, haZoneState, parseHaCommand, type HaPanel } from './uplink/homeassistant';
import { decodeKey } from './uplink/keys';
import { Nonces } from './uplink/nonce';
import { fromUtf8, utf8 } from './text';
import { LogTally } from './tally';
import { openDrivers, type Drivers, type PinConfig } from '../drivers/config';
import type { PinFactory } from '../drivers/pin';
import { earliest } from '../drivers/input';

/** What a host provides: time, flash, pins, sockets, randomness and a console. */
export interface Host {
  clock: Clock;
  storage: Storage;
  pins: PinFactory;
  /** Extra pin rules of the board (the ESP32's strapping and flash pins). */
  pinRules?: (config: PinConfig) => string[];
  connect: Connect;
  /** Uniform in [0, 1): reconnect jitter only. */
  random(): number;
  /** Cryptographic-quality random bytes (salts, keys, portal sessions). */
  randomBytes(n: number): Uint8Array;
  /** One line to the console (serial, stdout). Never given a secret. */
  log(line: string): void;
  /** Something arrived outside `service()`: call `service()` soon. */
  wake(): void;
}

export interface PanelOptions {
  /** Hours between periodic test reports (602); 0 turns them off. Default 24. */
  testReportHours?: number;
}

export interface PanelStatus {
  boot: number;
  /** Commands dropped since boot because their queue was full: signed commands, Home Assistant's. */
  dropped: { commands: number; homeAssistant: number };
  snapshot: Snapshot;
  uplink: SessionInfo | undefined;
  outbox: number;
  lastSeq: number;
  recovery: RecoveryReport;
}

const HOUR = 3_600_000;
/** The state-encoder hint of a zone the core holds no state for (closed, as it always is then). */
const untouchedZone = Object.freeze({});

/**
 * Commands from the broker waiting for `service()`, at most (each queue: signed commands, Home
 * Assistant's); more are dropped and counted. A broker can send any number: the panel must not
 * queue them without bound, nor spend a whole `service()` on them (each signed one is an HMAC).
 */
const MAX_QUEUED_COMMANDS = 16;
/** Commands of each queue handled per `service()`; the rest wait for the next one. */
const COMMANDS_PER_SERVICE = 4;
const json = (value: unknown) => utf8(JSON.stringify(value));
const unjson = (bytes: Uint8Array): unknown => JSON.parse(fromUtf8(bytes));

export class Panel {
  private settings: Settings;
  private state: State;
  private drivers: Drivers | undefined;
  private session: Session | undefined;
  private readonly commands: Uint8Array[] = [];
  /** Commands from Home Assistant's `ha/set` topic, waiting for `service()`. */
  private readonly haCommands: Uint8Array[] = [];
  /** What Home Assistant was last sent on this link: only changes go out again. */
  private haSent: { state?: string; zones: Map<number, boolean> } = { zones: new Map() };
  private readonly listeners = new Set<(event: PanelEvent) => void>();
  /** Last accepted command counter per user; null: lost (unreadable on flash), refused until re-keyed. */
  private lastCounters: Counters;
  /** The command nonce (nonce.ts), made when first needed; RAM only, so a reboot draws a new one. */
  private nonces: Nonces | undefined;
  /** Whether the last nonce message said the clock is set (undefined: none published yet). */
  private nonceClock: boolean | undefined;
  private readonly dropped = { commands: 0, homeAssistant: 0 };
  /** Repeated refusals and drops: one line a minute with the count. */
  private readonly tally: LogTally;
  private nextTestReport: number | undefined;
  private overflowing = false;
  /** The siren pattern the core last asked for: re-applied when the drivers reopen. */
  private siren: SirenPattern | undefined;
  /**
   * The retained state snapshot's encoder: it keeps each zone's bytes, so a snapshot costs what
   * changed. Its hint for a zone is the zone's core state, which every step copies on write: the
   * same object, the same zone. A new encoder for new settings (names and types come from them).
   */
  private stateEncoder = new StateEncoder();
  private encoderSettings: Settings | undefined;
  /** The state changed since the snapshot was last handed to the session: encode it once, before its next tick. */
  private statePending = false;
  private servicing = false;

  private constructor(
    private readonly host: Host,
    private cfg: PanelConfig,
    private readonly journal: Journal,
    readonly recovery: RecoveryReport,
    readonly boot: number,
    private readonly options: Required<PanelOptions>,
  ) {
    this.settings = cfg.alarm;
    this.lastCounters = this.loadCounters();
    this.tally = new LogTally((line) => host.log(line), () => host.clock.uptime());
    this.state = this.restoreState();
  }

  /**
   * Opens the journal and the saved state, boots the core, then the drivers and the uplink.
   * The config is the caller's (see `loadConfig`); it has been validated.
   */
  static open(host: Host, config: PanelConfig, options: PanelOptions = {}): Panel {
    const { journal, report } = Journal.open(host.storage);
    for (const problem of report.problems) host.log(`journal: ${problem}`);
    const previous = journal.state.load('boot');
    const boot = previous.bytes ? Number(unjson(previous.bytes)) + 1 : 1;
    journal.state.save('boot', json(boot));
    const panel = new Panel(host, config, journal, report, boot, { testReportHours: options.testReportHours ?? 24 });
    panel.start();
    return panel;
  }

  private load(name: string, fallback: unknown): unknown {
    const { bytes, problems } = this.journal.state.load(name);
    for (const p of problems) this.host.log(`state: ${p}`);
    if (!bytes) return fallback;
    try {
      return unjson(bytes);
    } catch {
      this.host.log(`state: ${name} is unreadable; starting from defaults`);
      return fallback;
    }
  }

  /**
   * The command counters. Never saved: none. Unreadable (both copies damaged, or not counters):
   * every user who holds a key is marked lost, saved so, and refused until given a new key — a
   * counter back at 0 would take any old capture again.
   */
  private loadCounters(): Counters {
    const { bytes, problems } = this.journal.state.load('counters');
    for (const p of problems) this.host.log(`state: ${p}`);
    if (!bytes && problems.length === 0) return {};
    if (bytes) {
      try {
        const parsed = parseCounters(unjson(bytes));
        if (parsed.ok) return parsed.counters;
      } catch { /* not JSON: lost, below */ }
    }
    const lost: Counters = {};
    for (const user of Object.keys(this.cfg.remote)) lost[user] = null;
    const users = Object.keys(lost);
    this.host.log(`SECURITY: the remote-command counters on flash are unreadable; ${users.length ? `commands of user ${users.join(', ')} are refused until each gets a new key in the portal` : 'no user holds a key'}`);
    this.journal.state.save('counters', json(lost));
    return lost;
  }

  /** The saved core state, restored (never lower), with the sequence counter past the journal's. */
  private restoreState(): State {
    const lastSeq = this.journal.lastSeq();
    const saved = this.load('core', undefined) as { seq?: number } | undefined;
    if (saved) {
      try {
        return restore(this.settings, { ...saved, seq: Math.max(saved.seq ?? 0, lastSeq) }, this.boot);
      } catch (err) {
        this.host.log(`state: ${(err as Error).message}; starting disarmed`);
      }
    }
    return { ...initialState(this.settings, this.boot), seq: lastSeq };
  }

  private start(): void {
    // The boot step comes first (305 and what a restore owes), before anything is saved.
    this.input({ type: 'boot' });
    this.openDrivers();
    this.openSession();
    const every = this.options.testReportHours * HOUR;
    this.nextTestReport = every > 0 ? this.host.clock.uptime() + every : undefined;
  }

  private openDrivers(): void {
    this.drivers = undefined; // the old ones are closed: nothing to play the siren on until the new ones are set
    this.drivers = openDrivers(this.host.pins, this.host.clock, this.cfg.pins, {
      onChange: (zone, open) => this.input({ type: 'zone', zone, open }),
      onTamper: (zone, active) => this.input({ type: 'tamper', zone, active }),
      onCap: () => this.host.log('siren: cut off at its hard cap'),
      onEdge: () => this.host.wake(),
    }, this.host.pinRules);
    if (this.siren) this.drivers.siren.play(this.siren, this.host.clock.uptime());
    this.drivers.start(); // the boot readings, now that the siren is set
  }

  private openSession(): void {
    const b = this.cfg.broker;
    const target = b.url ? parseBrokerUrl(b.url) : undefined;
    if (!target || typeof target === 'string') return;
    const ha = this.homeAssistant();
    this.session = new Session({
      host: target.host, port: target.port,
      tls: target.tls ? { ca: b.ca, cert: b.cert, key: b.key, servername: target.host } : undefined,
      username: b.username, password: b.password,
      clientId: `panel-${this.cfg.panel.id}`, prefix: b.prefix, panelId: this.cfg.panel.id,
      version: b.version, keepalive: b.keepalive,
      subscriptions: ha ? [haTopics(ha.prefix, ha.panelId).set] : [],
    }, {
      connect: this.host.connect,
      outbox: this.sealedOutbox(),
      random: this.host.random,
      onCommand: (bytes) => this.enqueue(this.commands, bytes, 'commands'),
      onMessage: (_topic, bytes) => this.enqueue(this.haCommands, bytes, 'homeAssistant'),
      onStatus: (up, reason) => {
        this.host.log(`uplink: ${up ? 'connected' : `down (${reason})`}`);
        if (reason === 'stopped') return; // our own close or reconfigure: no uplink trouble (350)
        if (up) this.publishHomeAssistant(true); // discovery and state again on every link: the broker may have lost them
        if (up) this.publishNonce();
        this.input({ type: 'uplink', up });
      },
      wake: () => this.host.wake(),
    });
    this.statePending = true;
    this.flushState();
  }

  // ---- the uplink's authentication (uplink-auth.ts): a layer around the encoders' bytes ----------

  /**
   * `bytes` as they go out: in a COSE_Mac0 when the panel has an uplink key, in a COSE_Encrypt0 in
   * sealed mode, as they are otherwise.
   */
  private sealed(kind: UplinkKind, bytes: Uint8Array, command?: Uint8Array): Uint8Array {
    const key = this.cfg.uplink === undefined ? undefined : decodeKey(this.cfg.uplink);
    if (!key) return bytes;
    if (!this.cfg.sealed) return sealUplink(bytes, key, this.cfg.panel.id, kind, command);
    // One IV sequence per boot, whatever the key: the rule in uplink-auth.ts holds across re-keying too.
    this.ivs ??= new UplinkIvs(this.boot, this.host.randomBytes(4));
    return encryptUplinkFor(bytes, sealedKey(key, this.cfg.panel.id), this.ivs.next(), this.cfg.panel.id, kind, command);
  }

  /** This boot's sealed-mode IVs, made at the first sealed message. */
  private ivs: UplinkIvs | undefined;

  /** Sealed events by seq: an event waiting for its PUBACK is peeked on every pump, sealed once. */
  private readonly sealedEvents = new Map<number, Uint8Array>();

  /** The journal's outbox as the session sees it: the stored event bytes, sealed on the way out. */
  private sealedOutbox(): Outbox {
    const outbox = this.journal.outbox;
    return {
      peek: (max) => outbox.peek(max).map((e) => {
        let payload = this.sealedEvents.get(e.seq);
        if (!payload) {
          if (this.sealedEvents.size >= 64) this.sealedEvents.clear(); // events dropped from the outbox unacknowledged
          payload = this.sealed('event', e.payload);
          this.sealedEvents.set(e.seq, payload);
        }
        return { seq: e.seq, payload };
      }),
      ack: (seq) => {
        this.sealedEvents.delete(seq);
        outbox.ack(seq);
      },
      size: () => outbox.size(),
    };
  }

  /**
   * Hands the session the snapshot, once, for every state change since the last time: a burst
   * of inputs within one `service()` encodes and publishes one snapshot (the retained topic
   * keeps only the newest anyway). Called before every session tick, so nothing waits longer.
   */
  private flushState(): void {
    if (!this.statePending || !this.session) return;
    this.statePending = false;
    if (this.encoderSettings !== this.settings) {
      this.stateEncoder = new StateEncoder();
      this.encoderSettings = this.settings;
    }
    const zones = this.settings.zones.map((z) => this.state.zones[z.number] ?? untouchedZone);
    this.session.publishState(this.sealed('state', this.stateEncoder.encode(this.snapshot() as unknown as Record<string, unknown>, { zones })));
  }

  private tickSession(now: number): void {
    this.flushState();
    this.session?.tick(now);
  }

  private now(): Now {
    const time = this.host.clock.wallTime();
    const uptime = this.host.clock.uptime();
    return time === undefined ? { uptime } : { uptime, time };
  }

  /** One input through the core, and its effects carried out. */
  private input(input: Input): Result | undefined {
    const now = this.now();
    const { state, effects } = step(this.settings, this.state, input, now);
    this.state = state;
    let result: Result | undefined;
    let changed = false;
    let overflow = false;
    // The siren first: its pin is written before any event of this input is encoded, logged or
    // sent (a littlefs append takes milliseconds). The pin is not journal state: a restore takes
    // the siren from the saved core state, which is saved after the events as before, so a power
    // cut between the pin and the journal loses nothing the journal promises.
    for (const effect of effects) if (effect.type === 'siren') this.sound(effect.on ? effect.pattern : undefined, now.uptime);
    for (const effect of effects) {
      switch (effect.type) {
        case 'event': overflow = this.record(effect.event) || overflow; break;
        case 'state_changed': changed = true; break;
        case 'result': result = effect; break;
      }
    }
    if (changed) {
      // After the events: a power cut between the two leaves the journal ahead, and
      // restoreState moves the sequence counter past it.
      this.journal.state.save('core', json(persisted(this.state)));
      this.statePending = true;
      if (!this.servicing && this.session) this.host.wake(); // from outside service(): the next one publishes it
      this.publishHomeAssistant(false);
    }
    if (overflow && !this.overflowing) {
      this.overflowing = true; // the 624 itself may push out another low-priority event
      this.input({ type: 'outbox_overflow' });
      this.overflowing = false;
    }
    if (effects.some((e) => e.type === 'event')) this.host.wake();
    return result;
  }

  /** Logs and queues one event; true when the outbox had to drop events for it. */
  private record(event: PanelEvent): boolean {
    const bytes = encodeEvent(event);
    let overflow = false;
    try {
      overflow = this.journal.record(event.seq, bytes, isAlarmEvent(event)).dropped.length > 0;
    } catch (err) {
      if (!(err instanceof OutboxFull)) throw err;
      this.host.log(`outbox: ${err.message}; event ${event.seq} is in the log only`);
      overflow = true;
    }
    for (const listener of this.listeners) listener(event);
    return overflow;
  }

  private sound(pattern: SirenPattern | undefined, now: number): void {
    this.siren = pattern === 'alarm' || pattern === 'exit_beep' || pattern === 'entry_beep' ? pattern : undefined;
    if (!this.drivers) return;
    if (pattern) this.drivers.siren.play(pattern, now);
    else this.drivers.siren.stop(now);
  }

  /** A command from the broker into its queue, or dropped (and counted) when the queue is full. */
  private enqueue(queue: Uint8Array[], bytes: Uint8Array, which: 'commands' | 'homeAssistant'): void {
    if (queue.length >= MAX_QUEUED_COMMANDS) {
      this.dropped[which]++;
      const what = which === 'commands' ? 'commands' : 'Home Assistant commands';
      this.tally.note(`${what} dropped (queue full)`, `${what}: one dropped, ${MAX_QUEUED_COMMANDS} already waiting`);
      return;
    }
    queue.push(bytes);
    this.host.wake();
  }

  /** Runs everything due: driver debounce, core deadlines, commands, the uplink, test reports. */
  service(): void {
    this.servicing = true;
    try {
      const now = this.host.clock.uptime();
      this.drivers?.poll(now);
      const due = nextDeadline(this.state);
      if (due !== undefined && due <= now) this.input({ type: 'tick' });
      if (this.nextTestReport !== undefined && this.nextTestReport <= now) {
        this.nextTestReport += this.options.testReportHours * HOUR;
        this.input({ type: 'test_report' });
      }
      if (this.nonces && this.hasRemoteUsers()) {
        const clock = this.host.clock.wallTime() !== undefined;
        if (!clock && this.nonces.rotateAt() <= now) {
          this.nonces.rotate(now);
          this.publishNonce();
        } else if (clock !== this.nonceClock) {
          this.publishNonce(); // the clock came (or went): monitors learn whether the nonce is needed
        }
      }
      this.tickSession(now);
      // Commands arrive inside the session's tick; they run after it, so nothing re-enters it.
      // A few per call: the alarm path (pins, deadlines) never waits behind a flood.
      for (let n = 0; n < COMMANDS_PER_SERVICE && this.commands.length > 0; n++) this.command(this.commands.shift()!);
      for (let n = 0; n < COMMANDS_PER_SERVICE && this.haCommands.length > 0; n++) this.haCommand(this.haCommands.shift()!);
      this.tickSession(this.host.clock.uptime());
      this.tally.flush();
    } finally {
      this.servicing = false;
    }
    if (this.commands.length > 0 || this.haCommands.length > 0) this.host.wake();
  }

  /** When `service()` is due next (uptime ms). */
  nextDeadline(): number | undefined {
    if (this.commands.length > 0 || this.haCommands.length > 0) return this.host.clock.uptime();
    const nonceDue = this.nonces && this.hasRemoteUsers() && this.host.clock.wallTime() === undefined ? this.nonces.rotateAt() : undefined;
    return earliest(this.drivers?.nextDeadline(), nextDeadline(this.state), this.session?.nextDeadline(), this.nextTestReport, nonceDue);
  }

  private hasRemoteUsers(): boolean {
    return Object.keys(this.cfg.remote).length > 0;
  }

  private nonce(): Nonces {
    return (this.nonces ??= new Nonces((n) => this.host.randomBytes(n), this.host.clock.uptime()));
  }

  /** The current nonce, retained on `{p}/{id}/nonce`, when some user may send commands. */
  private publishNonce(): void {
    if (!this.session || !this.hasRemoteUsers()) return;
    const clock = this.host.clock.wallTime() !== undefined;
    this.nonceClock = clock;
    const topic = topicsFor(this.cfg.broker.prefix, this.cfg.panel.id).nonce;
    this.session.publish(topic, this.sealed('nonce', this.nonce().message(clock)), { retain: true, qos: 1, contentType: 'application/cbor' });
  }

  private command(bytes: Uint8Array): void {
    const auth = authenticateCommand(bytes, {
      keyFor: (user) => {
        const text = this.cfg.remote[String(user)];
        return text === undefined ? undefined : decodeKey(text);
      },
      lastCounter: (user) => {
        const last = this.lastCounters[String(user)];
        return last === null ? null : last ?? 0;
      },
      now: this.host.clock.wallTime(),
      nonceFresh: (nonce) => this.nonce().fresh(nonce, this.host.clock.uptime()),
    });
    if (!auth.ok) {
      const loud = auth.reason === 'counter_lost' ? 'SECURITY: ' : '';
      this.tally.note(`${loud}commands refused (${auth.reason})`, `${loud}command refused: ${auth.reason}${auth.detail ? ` (${auth.detail})` : ''}`);
      this.session?.reply(this.sealed('reply', encodeReply(refusalReply(auth)), bytes));
      return;
    }
    // The counter is spent whatever the core decides: a refused command cannot be replayed later.
    this.lastCounters[String(auth.user)] = auth.counter;
    this.journal.state.save('counters', json(this.lastCounters));
    this.nonce().rotate(this.host.clock.uptime()); // a nonce serves one accepted command (and its grace)
    this.publishNonce();
    if (auth.action === 'log_export') return this.exportByCommand(auth.id, auth.user, bytes);
    const result = this.input({ type: 'remote', user: auth.user, action: auth.action, zone: auth.args.zone, force: auth.args.force });
    if (result && !result.ok) this.host.log(`command from user ${auth.user} refused: ${result.reason}`);
    this.session?.reply(this.sealed('reply', encodeReply(result?.ok
      ? { id: auth.id, ok: true, state: this.state.mode }
      : { id: auth.id, ok: false, reason: result?.reason ?? 'invalid_input', zones: result && !result.ok ? result.zones : undefined, state: this.state.mode }), bytes));
  }

  /**
   * log_export: the whole log, hash chain and all, in numbered chunks on `{p}/{id}/log` that fit
   * the broker's packet size (QoS 1, not retained), then a reply with the chunk count. Masters and
   * users may export; arm-only users may not. A signed command carries no code: the wrong-code
   * lockout does not apply to it.
   */
  private exportByCommand(id: number, number: number, command: Uint8Array): void {
    const session = this.session;
    if (!session) return;
    const refuse = (reason: string, detail?: string) => {
      this.host.log(`command from user ${number} refused: ${reason}`);
      session.reply(this.sealed('reply', encodeReply({ id, ok: false, reason, detail, state: this.state.mode }), command));
    };
    const user = this.settings.users.find((u) => u.number === number);
    if (!user) return refuse('unknown_user');
    if (user.role === 'arm-only') return refuse('not_permitted', 'arm-only users may not export the log');
    const topic = topicsFor(this.cfg.broker.prefix, this.cfg.panel.id).log;
    let chunks: Uint8Array[];
    try {
      const room = session.maxPayload(topic) - (this.cfg.uplink === undefined ? 0 : this.cfg.sealed ? SEALED_OVERHEAD : UPLINK_OVERHEAD);
      chunks = encodeLogChunks(id, this.exportLog(), room).map((c) => this.sealed('log', c, command));
    } catch (err) {
      return refuse('too_large', (err as Error).message); // the broker's packets are too small for chunks
    }
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    if (!session.canQueue(chunks.length, bytes)) {
      return refuse('busy', `the log is ${chunks.length} chunks (${bytes} bytes); the uplink queue has no room for it now`);
    }
    for (const chunk of chunks) session.publish(topic, chunk, { retain: false, qos: 1, contentType: 'application/cbor' });
    this.host.log(`log exported by user ${number}: ${chunks.length} chunks`);
    session.reply(this.sealed('reply', encodeReply({ id, ok: true, chunks: chunks.length, state: this.state.mode }), command));
  }

  // ---- Home Assistant (opt-in) -----------------------------------------------------------------

  /** The panel as Home Assistant discovery sees it, or undefined when HA is off. */
  private homeAssistant(config: PanelConfig = this.cfg): HaPanel | undefined {
    const ha = config.homeAssistant;
    if (!ha.enabled || ha.user === undefined) return undefined;
    const kinds = new Map<number, 'door' | 'motion'>();
    for (const d of config.pins.doors ?? []) kinds.set(d.zone, 'door');
    for (const m of config.pins.motion ?? []) kinds.set(m.zone, 'motion');
    return {
      prefix: config.broker.prefix, panelId: config.panel.id, name: config.panel.name, discoveryPrefix: ha.discoveryPrefix,
      zones: config.alarm.zones.map((z) => ({ zone: z.number, name: z.name, type: z.type, kind: kinds.get(z.number) })),
    };
  }

  /** Discovery (when `all`), then the mode and the zones in HA's words: all of it, or what changed. */
  private publishHomeAssistant(all: boolean, snap?: Snapshot): void {
    const ha = this.homeAssistant();
    const session = this.session;
    if (!ha || !session) return;
    const text = { retain: true, qos: 1, contentType: 'text/plain' } as const;
    if (all) {
      this.haSent = { zones: new Map() };
      for (const d of discoveryConfigs(ha)) session.publish(d.topic, discoveryPayload(d), { retain: true, qos: 1, contentType: 'application/json' });
    }
    const topics = haTopics(ha.prefix, ha.panelId);
    snap ??= this.snapshot();
    if (this.haSent.state !== snap.mode) {
      this.haSent.state = snap.mode;
      session.publish(topics.state, haState(snap.mode), text);
    }
    for (const z of snap.zones) {
      if (this.haSent.zones.get(z.zone) === z.open) continue;
      this.haSent.zones.set(z.zone, z.open);
      session.publish(topics.zone(z.zone), haZoneState(z.open), text);
    }
  }

  /**
   * A command from Home Assistant: a keypad entry that only the HA user's code opens. Another
   * user's code is a wrong code there; wrong codes count toward the lockout; the role applies.
   */
  private haCommand(bytes: Uint8Array): void {
    const user = this.cfg.homeAssistant.user;
    if (!this.cfg.homeAssistant.enabled || user === undefined) return;
    const command = parseHaCommand(bytes);
    if (!command.ok) return this.tally.note(`Home Assistant commands ignored (${command.error})`, `home assistant: command ignored: ${command.error}`);
    const result = this.input({ type: 'keypad', action: command.action, code: command.code, user });
    if (result && !result.ok) this.host.log(`home assistant: ${command.action} refused: ${result.reason}`);
    else this.host.log(`home assistant: ${command.action} accepted`);
  }

  // ---- what keypads, the portal and hosts use ------------------------------------------------

  /** A code typed on a keypad (the portal's or the simulator's): the lockout applies. */
  keypad(action: KeypadAction, code: string, options: { zone?: number; force?: boolean } = {}): Result {
    const result = this.input({ type: 'keypad', action, code, ...options });
    this.host.wake(); // it came from outside `service()`: a delay may have started, the host must learn its deadline
    return result ?? { type: 'result', ok: false, reason: 'invalid_input' };
  }

  /**
   * The installer's portal code. It is a code entry point like the keypad, so the same lockout
   * covers it: while locked every code is refused, and a wrong one goes to the core as a wrong
   * keypad code (an empty code matches no user), which counts it and locks on the tenth (461).
   * A right installer code does not reset the counter; only a user's code does.
   */
  installerLogin(code: string): Result {
    if (this.snapshot().lockout > 0) return { type: 'result', ok: false, reason: 'locked_out' };
    const { salt, codeHash } = this.cfg.installer;
    if (isValidCode(code) && sameHash(hashCode(code, salt), codeHash)) return { type: 'result', ok: true };
    return this.keypad('disarm', '');
  }

  snapshot(): Snapshot {
    return snapshotOf(this.settings, this.state, this.now());
  }

  status(): PanelStatus {
    return {
      boot: this.boot, dropped: { ...this.dropped }, snapshot: this.snapshot(), uplink: this.session?.info(), outbox: this.journal.outbox.size(),
      lastSeq: this.journal.lastSeq(), recovery: this.recovery,
    };
  }

  config(): PanelConfig {
    return this.cfg;
  }

  /** The command counters, for the config export: they travel with the keys. */
  counters(): Counters {
    return { ...this.lastCounters };
  }

  /**
   * Counters from a config import: each user's counter becomes the higher of the two, never
   * lower; a counter lost on either side stays lost (refused until re-keyed).
   */
  adoptCounters(imported: Counters): void {
    for (const [user, value] of Object.entries(imported)) {
      const mine = this.lastCounters[user];
      this.lastCounters[user] = value === null || mine === null ? null : Math.max(mine ?? 0, value);
    }
    this.journal.state.save('counters', json(this.lastCounters));
  }

  /** The newest events of the log, oldest first. */
  events(max = 100): PanelEvent[] {
    const first = Math.max(0, this.journal.lastSeq() - max + 1);
    return this.journal.log.entries(first).map((e) => decodeEvent(e.bytes));
  }

  /** The whole log with its hash chain, for export and `verifyChain`. */
  exportLog(): Uint8Array {
    return this.journal.log.export();
  }

  onEvent(listener: (event: PanelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The siren driver's output, for simulators and tests. */
  sirenState() {
    return this.drivers?.siren.state();
  }

  /**
   * The host found its flash wiped (littlefs reformats its partition on a mount error): the
   * config in use was made anew. Logged as a configuration change (306) by no user, so that
   * the monitoring station hears of it.
   */
  configReplaced(): void {
    this.input({ type: 'config_changed' });
  }

  /**
   * Applies a validated config: saved first (atomically), then the core gets the new settings
   * (306), and the drivers and uplink reopen when their part changed.
   */
  reconfigure(config: PanelConfig, user?: number): void {
    const before = this.cfg;
    saveConfig(this.journal.state, config);
    this.cfg = config;
    this.settings = config.alarm;
    // A new key starts a new counter: a lost counter no longer matters for it.
    let rekeyed = false;
    for (const [user, last] of Object.entries(this.lastCounters)) {
      if (last !== null || before.remote[user] === config.remote[user]) continue;
      delete this.lastCounters[user];
      rekeyed = true;
      this.host.log(`remote key of user ${user} replaced: its commands are taken again`);
    }
    if (rekeyed) this.journal.state.save('counters', json(this.lastCounters));
    this.input({ type: 'config_changed', user });
    if (JSON.stringify(before.pins) !== JSON.stringify(config.pins)) {
      this.drivers?.close(this.host.clock.uptime());
      this.openDrivers();
    }
    const haBefore = this.homeAssistant(before);
    const haAfter = this.homeAssistant(config);
    // Turning HA on or off changes the subscriptions: a new session. Other HA changes (names,
    // zones, discovery prefix) only need discovery again.
    const reopen = JSON.stringify(before.broker) !== JSON.stringify(config.broker) || before.panel.id !== config.panel.id ||
      (haBefore === undefined) !== (haAfter === undefined);
    if (reopen) {
      this.session?.stop();
      this.session = undefined;
      this.openSession();
    }
    const uplinkChanged = before.uplink !== config.uplink || before.sealed !== config.sealed;
    if (uplinkChanged) this.sealedEvents.clear(); // events not yet acknowledged: sealed anew
    if (!reopen && uplinkChanged) {
      // The retained messages again, under the new key or mode (or none): a sealed panel leaves no readable state.
      this.statePending = true;
      this.flushState();
      this.publishNonce();
    } else if (!reopen && JSON.stringify(before.remote) !== JSON.stringify(config.remote)) this.publishNonce();
    if (JSON.stringify(haBefore) !== JSON.stringify(haAfter)) {
      // What HA should forget (HA off, a zone gone): an empty retained message clears a topic, and
      // an empty discovery config removes the entity.
      const keep = new Set(haRetained(haAfter));
      for (const topic of haRetained(haBefore)) {
        if (!keep.has(topic)) this.session?.publish(topic, new Uint8Array(0), { retain: true, qos: 1 });
      }
      if (!reopen) this.publishHomeAssistant(true); // a new session publishes it on connect
    }
    this.host.wake();
  }

  /** Says goodbye to the broker and releases the pins; the journal is already on flash. */
  close(): void {
    this.session?.stop();
    this.drivers?.close(this.host.clock.uptime());
  }
}

/** Every retained topic the panel publishes for Home Assistant. */
function haRetained(ha: HaPanel | undefined): string[] {
  if (!ha) return [];
  const t = haTopics(ha.prefix, ha.panelId);
  return [...discoveryConfigs(ha).map((d) => d.topic), t.state, ...ha.zones.map((z) => t.zone(z.zone))];
}

// ---- the config on flash ---------------------------------------------------------------------

interface StateNames {
  load(name: string): { bytes: Uint8Array | undefined; problems: string[] };
  save(name: string, bytes: Uint8Array): number;
}

export function saveConfig(store: StateNames, config: PanelConfig): void {
  store.save('config', json(config));
}

/** The saved config as raw data (validate it before use), or undefined on a first boot. */
export function loadConfig(storage: Storage): { raw: unknown; problems: string[] } {
  const { bytes, problems } = new StateStore(storage).load('config');
  if (!bytes) return { raw: undefined, problems };
  try {
    return { raw: unjson(bytes), problems };
  } catch {
    return { raw: undefined, problems: [...problems, 'config: saved config is not readable JSON'] };
  }
}
