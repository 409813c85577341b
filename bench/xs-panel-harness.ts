// Runs inside XS (bundled by bench/xs-panel.ts): a whole panel on the simulated host, its MQTT
// bytes captured in memory, driven call by call from Node so that each call is metered alone.
//
// The transport has two modes. Direct: bytes go straight to an in-memory broker that answers
// at once (CONNACK, PUBACK, PINGRESP), as a live broker would. Captured: bytes are only kept,
// so a metered call pays for the panel's own work and nothing of the broker's; `pump()` hands
// them to the broker afterwards, outside any measurement.
import { SimHost } from '../hosts/xs/sim-host';
import type { Panel } from '../src/app';
import type { PanelEvent } from '../src/core/events';
import * as core from '../src/core/machine';
import type { Connect, Transport } from '../src/uplink/transport';
import { StateEncoder, encodeEvent, encodeState } from '../src/uplink/payloads';
import { encodePacket, packetReader, payload, type Packet } from '../src/uplink/packets';
import { MemoryBroker } from '../test/support/memory-mqtt';
import { MemoryStorage } from '../hosts/xs/memory-storage';
import { SimBoard, SimDigital, type Level } from '../hosts/xs/sim-digital';
import { Journal } from '../src/store/journal';
import { benchPanel, type BenchPanel } from './panel-config';
import { MinimalPanel, minimalEventCbor, minimalPublish } from './minimal';
// src/hash as this bundle has it: @noble/hashes, or (the firmware's) hosts/moddable/src/hash.ts
// over the bench's `crypt` Digest whose hashing is a host call (bench/xs-panel.ts picks).
import { hmacSha256, sha256 } from '../src/hash';
import { hashVectors } from './hash-vectors';

const WALL_START = 1_790_000_000;
const s = 1000;

// xsnap-worker's meter, read from inside a metered call: resetMeter answers the count so far and
// sets a new one, so it is set straight back. What two reads in a row cost is taken off.
declare const resetMeter: (limit: number, index: number) => number;
declare const currentMeterLimit: () => number;
export function meter(): number {
  const limit = currentMeterLimit();
  const at = resetMeter(limit, 0);
  resetMeter(limit, at);
  return at;
}
let meterSelf = 0;

/**
 * Where the siren pin's first write to "on" fell in the current metered call, counted from its
 * start (undefined: not yet). Both boards report it: the app's and the minimal siren's.
 */
let sirenFrom = 0;
let sirenAt: number | undefined;
class MeteredBoard extends SimBoard {
  constructor(private readonly sirenPin: number, private readonly onLevel: Level) { super(); }
  override drive(pin: number, level: Level): void {
    if (sirenAt === undefined && pin === this.sirenPin && level === this.onLevel) sirenAt = meter() - sirenFrom - meterSelf;
    super.drive(pin, level);
  }
}

/**
 * The floor for edge → siren: the same simulated pins, an input whose edge handler reads the
 * level, looks the zone up, decides (armed, instant, opened) and writes the siren output. No
 * core, no journal. `debounceMs` > 0: as a panel must (a glitch shorter than the debounce must
 * not sound it), the edge handler only notes its time, and the timer (`fire`, called by hand
 * when the debounce has run) reads the level, decides and writes: the app's 50 ms rule, by hand.
 */
class MinimalSiren {
  readonly board: MeteredBoard;
  private readonly siren: SimDigital;
  private readonly waiting: Array<{ edgeAt: number; read: () => number; openLevel: Level; instant: boolean }> = [];
  armed = true;
  now = 0;
  constructor(doors: Array<{ pin: number; openLevel: Level; instant: boolean }>, sirenPin: number, private readonly debounceMs = 0) {
    this.board = new MeteredBoard(sirenPin, 1);
    this.siren = new SimDigital(this.board, { pin: sirenPin, mode: SimDigital.Output });
    this.siren.write(0);
    for (const d of doors) {
      const self = this;
      const input = { edgeAt: 0, read: () => io.read(), openLevel: d.openLevel, instant: d.instant };
      const io = new SimDigital(this.board, {
        pin: d.pin, mode: SimDigital.InputPullUp, edge: SimDigital.Rising | SimDigital.Falling,
        onReadable: debounceMs > 0
          ? () => { input.edgeAt = self.now; if (!self.waiting.includes(input)) self.waiting.push(input); }
          : function (this: SimDigital) { if (self.armed && d.instant && this.read() === d.openLevel) self.siren.write(1); },
      });
    }
  }
  /** The debounce timer: every input whose edge is `debounceMs` old is read and decided. */
  fire(now: number) {
    this.now = now;
    for (let i = 0; i < this.waiting.length;) {
      const input = this.waiting[i];
      if (now - input.edgeAt < this.debounceMs) { i++; continue; }
      this.waiting.splice(i, 1);
      if (this.armed && input.instant && input.read() === input.openLevel) this.siren.write(1);
    }
  }
  silence() { this.siren.write(0); }
}
let minimalSiren: MinimalSiren | undefined;
let debouncedSiren: MinimalSiren | undefined;
let sirenDebounced = -1;
let sirenApp = -1;
let sirenMinimal = -1;

let bp: BenchPanel;
let host: SimHost;
let panel: Panel;
let broker: MemoryBroker;
let minimal: MinimalPanel;
let captured = false;
const written: Uint8Array[] = [];
let link: Transport | undefined;
const events: PanelEvent[] = [];
/** A journal of its own, to meter one `record` (log append with its hash, outbox push) alone. */
let spare: { journal: Journal; seq: number } | undefined;

/** The last metered edge: the core's state before it, the input, the event, the packets. */
let before: core.State | undefined;
/** The snapshot before the metered edge (the panel's own, zones memoized), and an encoder that has seen it. */
let snapBefore: Record<string, unknown> | undefined;
let primed: StateEncoder | undefined;
/** The state encoder's hints, made as the panel makes them (src/app.ts, flushState). */
const untouched = Object.freeze({});
const zoneHints = (state: core.State) => panel['settings'].zones.map((z) => state.zones[z.number] ?? untouched);
let lastPackets: Uint8Array[] = [];
/** Topic and packet id of the last event PUBLISH, read outside any metered call. */
let lastFrame = { topic: '', messageId: 0, payload: new Uint8Array(0) };
/** What the event log hashes for the last event's chain link: previous hash (16 B), seq (8), flags (1), its bytes. */
let chainInput = new Uint8Array(0);

const connect: Connect = (target, hooks) => {
  const inner = broker.connect(target, hooks);
  link = inner;
  return {
    write(bytes) {
      if (!captured) return inner.write(bytes);
      written.push(bytes); // kept as given, as the Moddable transport queues them (hosts/moddable/transport.ts): no copy in XS
      return true;
    },
    close() { inner.close(); },
  };
};

function pump(): void {
  for (const bytes of written.splice(0)) link?.write(bytes);
}

function decode(packets: Uint8Array[]): Array<{ cmd: string; topic?: string; bytes: number; messageId?: number; payload?: number[] }> {
  const out: Array<{ cmd: string; topic?: string; bytes: number; messageId?: number; payload?: number[] }> = [];
  for (const bytes of packets) {
    packetReader(5, (p) => {
      const q = p as Packet & { topic?: string; messageId?: number; payload?: Uint8Array };
      out.push({ cmd: q.cmd, topic: q.topic, bytes: bytes.length, messageId: q.messageId, payload: q.payload ? Array.from(q.payload) : undefined });
    }, (e) => { throw e; }).push(bytes);
  }
  return out;
}

const eventFrame = () => lastPackets.find((b) => decode([b])[0]?.topic?.endsWith('/event'));
const last = () => events[events.length - 1];

const bench = {
  noop(..._args: unknown[]) { return 0; },

  /** A panel of n zones, booted, connected (MQTT 5) and armed away. */
  setup(n: number, uplink?: 'keyed' | 'sealed') {
    bp = benchPanel(n, { brokerUrl: 'mqtt://broker.sim:1883', uplink });
    const sirenPin = bp.config.pins.siren;
    host = new SimHost({ wallStart: WALL_START, connect, board: new MeteredBoard(sirenPin.pin, sirenPin.activeLow ? 0 : 1) });
    broker = new MemoryBroker();
    panel = host.open(bp.config);
    panel.onEvent((e) => { events.push(e); if (events.length > 64) events.shift(); });
    host.runTo(panel, 1 * s);
    const doors = (bp.config.pins.doors ?? []).map((d) => ({ zone: d.zone, pin: d.pin, openLevel: bp.openLevel, instant: d.zone >= 3 && d.zone <= n - 2 }));
    minimal = new MinimalPanel(doors, panel.boot, `alarm/${bp.config.panel.id}/event`);
    const a = meter();
    meterSelf = meter() - a;
    return panel.status().uplink?.up === true ? 1 : 0;
  },

  arm() {
    panel.keypad('arm_away', bp.code);
    host.runTo(panel, host.uptimeMs + 31 * s);
    return panel.snapshot().mode === 'armed_away' ? 1 : 0;
  },

  /** Back to armed, every door closed, nothing waiting: ready for the next metered alarm. */
  rearm() {
    captured = false;
    pump();
    for (const d of bp.config.pins.doors ?? []) host.set(d.pin, bp.openLevel ? 0 : 1);
    host.runTo(panel, host.uptimeMs + 1 * s);
    panel.keypad('disarm', bp.code);
    host.runTo(panel, host.uptimeMs + 1 * s);
    return bench.arm();
  },

  /** Before a metered edge: the transport captures, and the core's state is kept for `step`. */
  capture() {
    host.runTo(panel, host.uptimeMs + 1 * s);
    before = panel['state'];
    snapBefore = panel.snapshot() as unknown as Record<string, unknown>;
    written.length = 0;
    captured = true;
    return 1;
  },

  /** A door contact changes: the pin edge, its debounce, the core, the journal, the PUBLISH bytes. */
  edge(pin: number, level: 0 | 1) {
    sirenAt = undefined;
    sirenFrom = meter();
    host.set(pin, level);
    host.runTo(panel, host.uptimeMs + 60);
    sirenApp = sirenAt ?? -1;
    return written.length;
  },

  /** After a metered edge: what was written goes to the broker, whose PUBACK waits for `service`. */
  release() {
    lastPackets = written.slice();
    const frame = eventFrame();
    const head = frame ? decode([frame])[0] : undefined;
    lastFrame = { topic: head?.topic ?? '', messageId: head?.messageId ?? 0, payload: new Uint8Array(head?.payload ?? []) };
    chainInput = new Uint8Array(25 + lastFrame.payload.length).fill(7, 0, 25);
    chainInput.set(lastFrame.payload, 25);
    // The same journal work as the panel's: a log that has met as many events, and room for it.
    spare ??= { journal: Journal.open(new MemoryStorage()).journal, seq: 0 };
    spare.seq = Math.max(spare.seq, last().seq);
    pump();
    return lastPackets.length;
  },

  /** The panel takes in what the broker sent (the PUBACK: the event leaves the outbox). */
  service() {
    host.runTo(panel, host.uptimeMs);
    return panel.status().outbox;
  },

  direct() { captured = false; pump(); return 1; },

  /**
   * Drops what the simulation itself keeps for tests (every message the broker saw, every pin
   * write, log lines), so the heap read next is the panel's own. The flash files stay.
   */
  forget() {
    broker.published.length = 0;
    broker.log.length = 0;
    broker.connects.length = 0;
    host.board.writes.length = 0;
    host.lines.length = 0;
    events.length = 0;
    return 1;
  },

  // The parts of the metered path, each alone, on the same event. The PUBLISH framings take
  // the event's payload ready-made: they count the MQTT packet alone.
  step(zone: number) {
    const e = last();
    return core.step(panel['settings'], before!, { type: 'zone', zone, open: true }, { uptime: e.uptime, time: e.time! }).effects.length;
  },
  encodeEvent() { return encodeEvent(last()).length; },
  /** One SHA-256 of the last event's chain-link input (previous hash 16 B, seq 8 B, flags 1 B, its bytes). */
  sha256() { return sha256(chainInput).length; },
  /** SHA-256 and HMAC-SHA-256 of the shared test vectors, hex: Node checks them against src/hash.ts. */
  hashVectors() { return hashVectors(sha256, hmacSha256); },
  record() {
    spare!.seq++;
    return spare!.journal.record(spare!.seq, lastFrame.payload, true).dropped.length;
  },
  encodeState() { return encodeState(panel.snapshot() as unknown as Record<string, unknown>).length; },
  /**
   * A state encoder that has encoded the snapshot from before the metered edge (unmetered: it comes
   * before `stateDelta`). The same one for every metered alarm: like the panel's, it has met those
   * states before (its caches of keys, key orders and small values are warm), and the medians show it.
   */
  primeEncoder() { primed ??= new StateEncoder(); return primed.encode(snapBefore!, { zones: zoneHints(before!) }).length; },
  /** What the panel pays for the state after the metered edge: its snapshot, its hints, the encoder re-encoding what changed. */
  stateDelta() {
    return primed!.encode(panel.snapshot() as unknown as Record<string, unknown>, { zones: zoneHints(panel['state']) }).length;
  },
  encodePublish() {
    return encodePacket({
      cmd: 'publish', topic: lastFrame.topic, payload: payload(lastFrame.payload), qos: 1, messageId: lastFrame.messageId,
      retain: false, dup: false, properties: { contentType: 'application/cbor' },
    } as Packet, 5).length;
  },
  handCbor() { return minimalEventCbor(last()).length; },
  handPublish() {
    return minimalPublish(lastFrame.topic, lastFrame.messageId, lastFrame.payload).length;
  },

  /** The minimal panel takes the same time, seq and packet id as the app's last event. */
  alignMinimal() {
    const e = last();
    minimal.seq = e.seq - 1;
    minimal.uptime = e.uptime;
    minimal.time = e.time;
    minimal.packetId = lastFrame.messageId - 1;
    minimal.written.length = 0;
    return 1;
  },
  /** The minimal siren: the same edge, on its own board, up to its siren write (then closed again). */
  minimalSirenEdge(pin: number, level: 0 | 1) {
    if (!minimalSiren) {
      // Made at the first use, after the heap readings: its pins are not the panel's heap.
      const doors = (bp.config.pins.doors ?? []).map((d) => ({ pin: d.pin, openLevel: bp.openLevel, instant: d.zone >= 3 && d.zone <= bp.config.alarm.zones.length - 2 }));
      minimalSiren = new MinimalSiren(doors, bp.config.pins.siren.pin);
      for (const d of doors) minimalSiren.board.set(d.pin, bp.openLevel ? 0 : 1);
      return -1; // this call made it; the caller meters the next
    }
    sirenAt = undefined;
    sirenFrom = meter();
    minimalSiren.board.set(pin, level);
    sirenMinimal = sirenAt ?? -1;
    minimalSiren.board.set(pin, level ? 0 : 1);
    minimalSiren.silence();
    return sirenMinimal;
  },
  /** The same with the 50 ms debounce: the edge, then its timer 50 ms later (clock by hand), up to the siren write. */
  debouncedSirenEdge(pin: number, level: 0 | 1) {
    if (!debouncedSiren) {
      const doors = (bp.config.pins.doors ?? []).map((d) => ({ pin: d.pin, openLevel: bp.openLevel, instant: d.zone >= 3 && d.zone <= bp.config.alarm.zones.length - 2 }));
      debouncedSiren = new MinimalSiren(doors, bp.config.pins.siren.pin, 50);
      for (const d of doors) debouncedSiren.board.set(d.pin, bp.openLevel ? 0 : 1);
      debouncedSiren.fire(1_000);
      return -1; // this call made it; the caller meters the next
    }
    const m = debouncedSiren;
    const t0 = m.now + 1_000;
    m.now = t0;
    sirenAt = undefined;
    sirenFrom = meter();
    m.board.set(pin, level);
    m.fire(t0 + 50);
    sirenDebounced = sirenAt ?? -1;
    m.board.set(pin, level ? 0 : 1);
    m.fire(t0 + 100);
    m.silence();
    return sirenDebounced;
  },
  /** Computrons from the start of the last `edge` to the app's siren pin write, and the minimals' (-1: none). */
  sirenFigures() { return { app: sirenApp, minimal: sirenMinimal, debounced: sirenDebounced }; },
  minimalEdge(pin: number, level: number) {
    minimal.edge(pin, level);
    return minimal.written.length;
  },

  /** Drives the panel until `count` more events have been recorded (arm, alarm, disarm cycles). */
  events(count: number) {
    captured = false;
    pump();
    let recorded = 0;
    const off = panel.onEvent(() => { recorded++; });
    const door = bp.pinOf(bp.instantZone);
    const closed = bp.openLevel ? 0 : 1;
    while (recorded < count) {
      panel.keypad('arm_away', bp.code);
      host.runTo(panel, host.uptimeMs + 31 * s);
      host.set(door, bp.openLevel);
      host.runTo(panel, host.uptimeMs + 1 * s);
      host.set(door, closed);
      host.runTo(panel, host.uptimeMs + 1 * s);
      panel.keypad('disarm', bp.code);
      host.runTo(panel, host.uptimeMs + 1 * s);
    }
    off();
    return recorded;
  },

  /** What the last metered edge wrote, and whether the minimal panel wrote the very same event frame. */
  report() {
    const app = eventFrame();
    const hand = minimal.written[minimal.written.length - 1];
    let same = !!app && !!hand && app.length === hand.length;
    for (let i = 0; same && i < app!.length; i++) same = app![i] === hand[i];
    const status = panel.status();
    return {
      packets: decode(lastPackets).map(({ cmd, topic, bytes }) => ({ cmd, topic, bytes })),
      event: last(),
      eventFrameBytes: app ? app.length : 0,
      eventPayloadBytes: last() ? encodeEvent(last()).length : 0,
      sameBytes: same,
      mode: panel.snapshot().mode,
      outbox: status.outbox,
      lastSeq: status.lastSeq,
      storageBytes: host.storage.names().reduce((n, f) => n + host.storage.read(f).length, 0),
      brokerPublished: broker.published.length,
    };
  },
};

(globalThis as unknown as { bench: typeof bench }).bench = bench;

// Node asks for values through xsnap's command channel: the request names a method of `bench`.
const toText = new TextDecoder();
const toBytes = new TextEncoder();
(globalThis as unknown as { handleCommand: (request: ArrayBuffer) => ArrayBuffer }).handleCommand = (request) => {
  const name = toText.decode(request) as keyof typeof bench;
  return toBytes.encode(JSON.stringify((bench[name] as () => unknown)())).buffer as ArrayBuffer;
};
