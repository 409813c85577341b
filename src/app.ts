// The panel: one core wired to one host.
//
// Data flows one way: pins → drivers → core → effects (siren, journal, uplink). The core
// decides everything; this file only carries inputs in and effects out, in an order that
// puts the siren first and survives a power cut: events are in the journal before the state
// that follows them.
import { initialState, nextDeadline, opensToSiren, persisted, restore, snapshot as snapshotOf, step, type Now, type SirenPattern } from './core/machine';
import type { Clock } from './core/clock';
import type { PanelEvent } from './core/events';
import { isAlarmEvent } from './core/events';
import type { Input, Result, Snapshot, State } from './core/machine';
import type { KeypadAction } from './core/io';
import type { Settings } from './core/settings';
import { hashCode, isValidCode, sameHash } from './core/settings';
import type { PanelConfig } from './config';
import { parseBrokerUrl, type Counters } from './config';
import type { Storage } from './store/storage';
import { Journal, type RecoveryReport } from './store/journal';
import { OutboxFull } from './store/outbox';
import { StateStore } from './store/state';
import type { Connect } from './uplink/transport';
import { Uplink, type UplinkInfo } from './uplink/uplink';
import { StateEncoder, decodeEvent, encodeEvent } from './uplink/payloads';
import { Sealer } from './uplink/sealer';
import type { PanelPort } from './uplink/panel-port';
import { RemoteCommands } from './uplink/remote-commands';
import { HaBridge, haSubscriptions, homeAssistantOf } from './uplink/ha-bridge';
import { fromUtf8, utf8 } from './text';
import { LogTally } from './tally';
import { openDrivers, zoneKinds, type Drivers, type PinConfig } from '../drivers/config';
import { sooner } from '../drivers/input';
import type { PinFactory } from '../drivers/pin';

/** What a host provides: time, flash, pins, sockets, randomness and a console. */
export interface Host {
  clock: Clock;
  storage: Storage;
  pins: PinFactory;
  connect: Connect;
  /** Uniform in [0, 1): reconnect jitter only. */
  random(): number;
  /** Cryptographic-quality random bytes (salts, keys, portal sessions). */
  randomBytes(n: number): Uint8Array;
  /** One line to the console (serial, stdout). Never given a secret. */
  log(line: string): void;
  /**
   * Something arrived outside `service()`: call `service()` soon, or by `at` (uptime ms; an
   * input edge: its debounce ends then, and nothing is due before).
   */
  wake(at?: number): void;
}

export type { PinConfig };

export interface PanelOptions {
  /** Hours between periodic test reports (602); 0 turns them off. Default 24. */
  testReportHours?: number;
  /** The board's pin rules (its strapping and flash pins), beyond a well-formed config's. */
  pinRules?: (config: PinConfig) => string[];
}

export interface PanelStatus {
  boot: number;
  /** Commands dropped since boot because their queue was full: signed commands, Home Assistant's. */
  dropped: { commands: number; homeAssistant: number };
  snapshot: Snapshot;
  uplink: UplinkInfo | undefined;
  outbox: number;
  lastSeq: number;
  recovery: RecoveryReport;
}

const HOUR = 3_600_000;
/** The state-encoder hint of a zone the core holds no state for (closed, as it always is then). */
const untouchedZone = Object.freeze({});

const json = (value: unknown) => utf8(JSON.stringify(value));
const unjson = (bytes: Uint8Array): unknown => JSON.parse(fromUtf8(bytes));

export class Panel {
  private settings: Settings;
  private state: State;
  private drivers: Drivers | undefined;
  private session: Uplink | undefined;
  private readonly listeners = new Set<(event: PanelEvent) => void>();
  /** Repeated refusals and drops: one line a minute with the count. */
  private readonly tally: LogTally;
  /** The uplink's authentication: what goes out, under the config's uplink key and mode. */
  private readonly sealer: Sealer;
  /** Signed commands, the command counters and the nonce. */
  private readonly remote: RemoteCommands;
  /** Home Assistant's discovery, states and commands. */
  private readonly ha: HaBridge;
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
  /** The core state as last saved (JSON), so an unchanged one is not written again. */
  private savedCore: string | undefined;

  private constructor(
    private readonly host: Host,
    private cfg: PanelConfig,
    private readonly journal: Journal,
    readonly recovery: RecoveryReport,
    readonly boot: number,
    private readonly options: { testReportHours: number; pinRules?: (config: PinConfig) => string[] },
  ) {
    this.settings = cfg.alarm;
    this.tally = new LogTally((line) => host.log(line), () => host.clock.uptime());
    this.sealer = new Sealer(() => this.cfg, boot, (n) => host.randomBytes(n));
    const port: PanelPort = {
      input: (input) => this.input(input),
      snapshot: () => this.snapshot(),
      config: () => this.cfg,
      exportLog: () => this.exportLog(),
      uplink: () => this.session,
      seal: (kind, bytes, command) => this.sealer.seal(kind, bytes, command),
      clock: host.clock,
      state: journal.state,
      tally: this.tally,
      randomBytes: (n) => host.randomBytes(n),
      log: (line) => host.log(line),
      wake: () => host.wake(),
    };
    this.remote = new RemoteCommands(port); // loads the command counters
    this.ha = new HaBridge(port, zoneKinds);
    this.state = this.restoreState();
  }

  /**
   * Opens the journal and the saved state, boots the core, then the drivers and the uplink.
   * The config is the caller's (see src/boot.ts); it has been validated.
   */
  static open(host: Host, config: PanelConfig, options: PanelOptions = {}): Panel {
    const { journal, report } = Journal.open(host.storage);
    for (const problem of report.problems) host.log(`journal: ${problem}`);
    const previous = journal.state.load('boot');
    const boot = previous.bytes ? Number(unjson(previous.bytes)) + 1 : 1;
    journal.state.save('boot', json(boot));
    const panel = new Panel(host, config, journal, report, boot, { testReportHours: options.testReportHours ?? 24, pinRules: options.pinRules });
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
      onChange: (zone, open, now) => {
        if (open) this.sirenFirst(zone, now);
        this.input({ type: 'zone', zone, open });
      },
      onTamper: (zone, active) => this.input({ type: 'tamper', zone, active }),
      onCap: () => this.host.log('siren: cut off at its hard cap'),
      onEdge: (due) => this.host.wake(due),
    }, this.options.pinRules);
    if (this.siren) this.drivers.siren.play(this.siren, this.host.clock.uptime());
    this.drivers.start(); // the boot readings, now that the siren is set
  }

  private openSession(): void {
    const b = this.cfg.broker;
    const target = b.url ? parseBrokerUrl(b.url) : undefined;
    if (!target || typeof target === 'string') return;
    this.session = new Uplink({
      host: target.host, port: target.port,
      tls: target.tls ? { ca: b.ca, cert: b.cert, key: b.key, servername: target.host } : undefined,
      username: b.username, password: b.password,
      clientId: `panel-${this.cfg.panel.id}`, prefix: b.prefix, panelId: this.cfg.panel.id,
      version: b.version, keepalive: b.keepalive,
      subscriptions: haSubscriptions(this.cfg),
    }, {
      connect: this.host.connect,
      outbox: this.sealer.outbox(this.journal.outbox),
      random: this.host.random,
      onCommand: (bytes) => this.remote.queue.push(bytes),
      onMessage: (_topic, bytes) => this.ha.queue.push(bytes),
      onStatus: (up, reason) => {
        this.host.log(`uplink: ${up ? 'connected' : `down (${reason})`}`);
        if (reason === 'stopped') return; // our own close or reconfigure: no uplink trouble (350)
        if (up) this.ha.publish(true); // discovery and state again on every link: the broker may have lost them
        if (up) this.remote.publishNonce();
        this.input({ type: 'uplink', up });
      },
      // Within service() no wake is needed: the round ends by asking every deadline, and the
      // uplink's is "now" for whatever it still has to do (a wake there would run a round more).
      wake: () => { if (!this.servicing) this.host.wake(); },
    });
    this.statePending = true;
    this.flushState();
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
    // The hints: a plain loop, no closure called per zone on every publish.
    const settings = this.settings.zones;
    const zones: object[] = new Array(settings.length);
    for (let i = 0; i < settings.length; i++) zones[i] = this.state.zones[settings[i].number] ?? untouchedZone;
    this.session.publishState(this.sealer.seal('state', this.stateEncoder.encode(this.snapshot() as unknown as Record<string, unknown>, { zones })));
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
      // restoreState moves the sequence counter past it. Only when what a restore reads changed:
      // a door opening while disarmed is published, not written to flash.
      const saved = JSON.stringify(persisted(this.state));
      if (saved !== this.savedCore) {
        this.journal.state.save('core', utf8(saved));
        this.savedCore = saved;
      }
      this.statePending = true;
      if (!this.servicing && this.session) this.host.wake(); // from outside service(): the next one publishes it
      this.ha.publish(false);
    }
    if (overflow && !this.overflowing) {
      this.overflowing = true; // the 624 itself may push out another low-priority event
      this.input({ type: 'outbox_overflow' });
      this.overflowing = false;
    }
    if (!this.servicing && effects.some((e) => e.type === 'event')) this.host.wake(); // within service(): its uplink tick sends them
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

  /**
   * The siren before the step: an opening that the core's rule says sounds it (`opensToSiren`)
   * plays it at once. The step that follows asks for the same siren (already playing: nothing
   * more) and does the rest; when the rule cannot tell, the step decides alone.
   */
  private sirenFirst(zone: number, now: number): void {
    if (this.drivers && opensToSiren(this.settings, this.state, zone, now)) this.sound('alarm', now);
  }

  private sound(pattern: SirenPattern | undefined, now: number): void {
    this.siren = pattern === 'alarm' || pattern === 'exit_beep' || pattern === 'entry_beep' ? pattern : undefined;
    if (!this.drivers) return;
    if (pattern) this.drivers.siren.play(pattern, now);
    else this.drivers.siren.stop(now);
  }

  /**
   * Runs everything due: driver debounce, core deadlines, commands, the uplink, test reports.
   * `now`: the scheduler's round time (the host clock's uptime, read once for the round).
   */
  service(now: number = this.host.clock.uptime()): void {
    this.servicing = true;
    try {
      this.drivers?.poll(now);
      const due = nextDeadline(this.state);
      if (due !== undefined && due <= now) this.input({ type: 'tick' });
      if (this.nextTestReport !== undefined && this.nextTestReport <= now) {
        this.nextTestReport += this.options.testReportHours * HOUR;
        this.input({ type: 'test_report' });
      }
      this.remote.rotate(now);
      this.tickSession(now);
      // Commands arrive inside the session's tick; they run after it, so nothing re-enters it.
      // A few per call: the alarm path (pins, deadlines) never waits behind a flood. The tick
      // again for their replies and what they changed (or a link that came up in the first).
      const commands = this.remote.queue.length + this.ha.queue.length;
      this.remote.run();
      this.ha.run();
      if (commands > 0 || this.statePending) this.tickSession(this.host.clock.uptime());
      this.tally.flush();
    } finally {
      this.servicing = false;
    }
    if (this.remote.queue.length > 0 || this.ha.queue.length > 0) this.host.wake();
  }

  /** When `service()` is due next (uptime ms). */
  nextDeadline(): number | undefined {
    if (this.remote.queue.length > 0 || this.ha.queue.length > 0 || (this.statePending && this.session)) return this.host.clock.uptime();
    // Asked after every round: one at a time, no array of them made.
    let due = sooner(this.drivers?.nextDeadline(), nextDeadline(this.state));
    due = sooner(due, this.session?.nextDeadline());
    due = sooner(due, this.nextTestReport);
    return sooner(due, this.remote.nextDeadline());
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
      boot: this.boot, dropped: { commands: this.remote.queue.dropped, homeAssistant: this.ha.queue.dropped }, snapshot: this.snapshot(), uplink: this.session?.info(), outbox: this.journal.outbox.size(),
      lastSeq: this.journal.lastSeq(), recovery: this.recovery,
    };
  }

  config(): PanelConfig {
    return this.cfg;
  }

  /** The command counters, for the config export: they travel with the keys. */
  counters(): Counters {
    return this.remote.counters();
  }

  /**
   * Counters from a config import: each user's counter becomes the higher of the two, never
   * lower; a counter lost on either side stays lost (refused until re-keyed).
   */
  adoptCounters(imported: Counters): void {
    this.remote.adoptCounters(imported);
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
    this.remote.rekeyed(before, config);
    this.input({ type: 'config_changed', user });
    if (JSON.stringify(before.pins) !== JSON.stringify(config.pins)) {
      this.drivers?.close(this.host.clock.uptime());
      this.openDrivers();
    }
    // Turning HA on or off changes the subscriptions: a new session. Other HA changes (names,
    // zones, discovery prefix) only need discovery again.
    const reopen = JSON.stringify(before.broker) !== JSON.stringify(config.broker) || before.panel.id !== config.panel.id ||
      (homeAssistantOf(before) === undefined) !== (homeAssistantOf(config) === undefined);
    if (reopen) {
      this.session?.stop();
      this.session = undefined;
      this.openSession();
    }
    const uplinkChanged = before.uplink !== config.uplink || before.sealed !== config.sealed;
    if (uplinkChanged) this.sealer.rekeyed(); // events not yet acknowledged: sealed anew
    if (!reopen && uplinkChanged) {
      // The retained messages again, under the new key or mode (or none): a sealed panel leaves no readable state.
      this.statePending = true;
      this.flushState();
      this.remote.publishNonce();
    } else if (!reopen && JSON.stringify(before.remote) !== JSON.stringify(config.remote)) this.remote.publishNonce();
    this.ha.reconfigured(before, config, reopen);
    this.host.wake();
  }

  /** Says goodbye to the broker and releases the pins; the journal is already on flash. */
  close(): void {
    this.session?.stop();
    this.drivers?.close(this.host.clock.uptime());
  }
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
