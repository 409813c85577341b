// Uplink benchmarks (a report, not a test), on loopback mosquitto. bench/run.ts calls these;
// run alone, this writes bench/uplink.json.
//   node --import tsx bench/uplink.ts
// - latency to an MQTT.js subscriber, one event at a time: a whole Panel (door pin edge →
//   subscriber, and event recorded → subscriber), the session alone (outbox → subscriber),
//   and MQTT.js publishing the same bytes (the floor: client + broker + loopback);
// - replay rate after a reconnect: events that waited in the outbox while the broker was down.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { Mosquitto } from '../test/support/brokers.ts';
import { Subscriber, readEvent } from '../test/uplink/subscriber.ts';
import { TestPanel } from '../test/uplink/panel.ts';
import { encodeEvent } from '../src/uplink/payloads.ts';
import { ContactId } from '../src/core/events.ts';
import { benchPanel } from './panel-config.ts';
import { NodePanel, until } from './node-panel.ts';
import { machine } from './machine.ts';
import { payloadBytes } from './sizes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export interface Spread { samples: number; p50_ms: number; p99_ms: number; max_ms: number }

/** p50/p99/max of samples in ms (nearest rank). */
export function spread(ms: number[]): Spread {
  const sorted = [...ms].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { samples: ms.length, p50_ms: round(pct(50)), p99_ms: round(pct(99)), max_ms: round(sorted[sorted.length - 1]) };
}

/**
 * When each event seq first reached a subscriber. Each message is decoded once, as it is first
 * looked at: the benchmark shares the event loop with the panel and must not load it.
 */
class Arrivals {
  private readonly first = new Map<number, number>();
  private read = 0;

  constructor(private readonly sub: Subscriber) {}

  private catchUp(): void {
    for (; this.read < this.sub.messages.length; this.read++) {
      const m = this.sub.messages[this.read];
      const seq = readEvent(m.payload).seq;
      if (!this.first.has(seq)) this.first.set(seq, m.at);
    }
  }

  /** When `seq` arrived, or undefined. */
  at(seq: number): number | undefined {
    this.catchUp();
    return this.first.get(seq);
  }

  /** Distinct seqs arrived in [from, to]. */
  count(from = -Infinity, to = Infinity): number {
    this.catchUp();
    let n = 0;
    for (const seq of this.first.keys()) if (seq >= from && seq <= to) n++;
    return n;
  }
}

/** One way of getting an event to the subscriber, sampled one event at a time. */
interface Sampler<R> {
  sample(): Promise<void>;
  result(): R;
  close(): Promise<void>;
}

/** The session alone: an event added to its outbox → the subscriber (the uplink's own cost). */
async function sessionSampler(broker: Mosquitto): Promise<Sampler<Spread>> {
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/session/event']);
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'session' });
  await panel.until(() => panel.up, 'up');
  const ms: number[] = [];
  return {
    async sample() {
      const i = ms.length;
      const start = performance.now();
      panel.add(1);
      await sub.until(() => sub.messages.length > i, `event ${i + 1}`);
      ms.push(sub.messages[i].at - start);
    },
    result: () => spread(ms),
    async close() { await panel.stop(); await sub.close(); },
  };
}

/** The floor: MQTT.js publishes an event's bytes (QoS 1, MQTT 5) → the subscriber. */
async function floorSampler(broker: Mosquitto): Promise<Sampler<Spread>> {
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/floor/event']);
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, clientId: 'bench-floor' });
  const payload = Buffer.from(encodeEvent({ seq: 1, boot: 1, uptime: 1000, time: 1_790_000_000, code: ContactId.burglary, q: 1, zone: 3 }));
  const ms: number[] = [];
  return {
    async sample() {
      const i = ms.length;
      const start = performance.now();
      pub.publish('alarm/floor/event', payload, { qos: 1, properties: { contentType: 'application/cbor' } });
      await sub.until(() => sub.messages.length > i, `message ${i + 1}`);
      ms.push(sub.messages[i].at - start);
    },
    result: () => spread(ms),
    async close() { await pub.endAsync(); await sub.close(); },
  };
}

export interface PanelLatency {
  /** Door pin edge → alarm (130) at the subscriber; includes the contact's 50 ms debounce. */
  edge_to_subscriber: Spread;
  /** Event recorded by the panel (log + outbox) → subscriber, for every event of the run. */
  event_to_subscriber: Spread;
  /** The debounce of the door contact, for reading the first figure. */
  debounce_ms: number;
  events: number;
}

/**
 * A whole Panel on the Node host (8 zones, exit delay 0), one alarm cycle per sample: a door
 * opens (130), it closes, the keypad disarms (401 opening) and arms again (401 closing).
 * Each event is waited for at the subscriber before the next input.
 */
async function panelSampler(broker: Mosquitto): Promise<Sampler<PanelLatency>> {
  const bp = benchPanel(8, { panelId: 'latency', brokerUrl: `mqtt://127.0.0.1:${broker.port}`, exitDelay: 0 });
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/latency/event']);
  const np = new NodePanel(bp.config);
  const recorded = new Map<number, number>();
  let lastSeq = 0;
  np.onEvent((e) => { recorded.set(e.seq, performance.now()); lastSeq = e.seq; });
  const arrivals = new Arrivals(sub);
  const settle = async (what: string) => {
    const seq = lastSeq;
    await sub.until(() => arrivals.at(seq) !== undefined, what);
  };
  const door = bp.pinOf(bp.instantZone);
  const edge: number[] = [];
  await until(() => np.up, 'the panel to connect');
  if (!np.panel.keypad('arm_away', bp.code).ok) throw new Error('the latency panel did not arm');
  await settle('the first closing');
  recorded.clear();
  return {
    async sample() {
      const i = edge.length;
      const before = lastSeq;
      const start = performance.now();
      np.set(door, bp.openLevel);
      await until(() => lastSeq > before, `alarm ${i + 1} to be recorded`, 5_000, 1);
      const alarm = lastSeq;
      await sub.until(() => arrivals.at(alarm) !== undefined, `alarm ${i + 1}`);
      edge.push(arrivals.at(alarm)! - start);
      np.set(door, bp.openLevel ? 0 : 1);
      const closed = () => np.panel.snapshot().zones.every((z) => !z.open);
      await until(closed, 'the door to close (its debounce)', 5_000, 5);
      np.panel.keypad('disarm', bp.code);
      await settle(`opening ${i + 1}`);
      if (!np.panel.keypad('arm_away', bp.code).ok) throw new Error(`the latency panel did not arm again (cycle ${i + 1})`);
      await settle(`closing ${i + 1}`);
    },
    result() {
      const missing = [...recorded.keys()].filter((seq) => arrivals.at(seq) === undefined);
      if (missing.length) throw new Error(`events ${missing.join(', ')} never reached the subscriber`);
      const toSubscriber = [...recorded].map(([seq, at]) => arrivals.at(seq)! - at);
      return { edge_to_subscriber: spread(edge), event_to_subscriber: spread(toSubscriber), debounce_ms: 50, events: recorded.size };
    },
    async close() { np.close(); await sub.close(); },
  };
}

/**
 * The three paths side by side on one broker, interleaved (one panel cycle, then `perCycle`
 * samples of the session and of the floor), so that whatever else the machine does falls on
 * all three alike.
 */
export async function latency(broker: Mosquitto, cycles: number, perCycle: number) {
  const panel = await panelSampler(broker);
  const session = await sessionSampler(broker);
  const floor = await floorSampler(broker);
  try {
    for (let c = 0; c < cycles; c++) {
      await panel.sample();
      for (let k = 0; k < perCycle; k++) {
        await session.sample();
        await floor.sample();
      }
    }
    return { panel: panel.result(), session: session.result(), mqttjs_floor: floor.result() };
  } finally {
    await panel.close();
    await session.close();
    await floor.close();
  }
}

export interface Replay { events: number; window: number; acked_per_s: number; received_per_s: number }

/** The session alone (memory outbox): `events` queued while mosquitto was stopped, then replayed. */
export async function sessionReplay(events: number, window: number): Promise<Replay> {
  const broker = await Mosquitto.start({ persistence: true });
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/replay/event'], {
    clientId: `bench-monitor-${window}`, clean: false, properties: { sessionExpiryInterval: 600 },
  });
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'replay', window, backoff: { min: 50, max: 200 } });
  try {
    await panel.until(() => panel.up, 'up');
    await broker.stop('SIGTERM');
    await panel.until(() => !panel.up, 'down');
    panel.add(events);
    await broker.run();
    await panel.until(() => panel.up, 'up again', 10_000);
    const start = performance.now();
    await until(() => panel.outbox.size() === 0, 'the outbox to drain', 60_000, 1); // polled each ms: the end is timed
    const acked = performance.now();
    const arrivals = new Arrivals(sub);
    await sub.until(() => arrivals.count() >= events, 'every event at the subscriber', 60_000);
    const received = performance.now();
    return {
      events, window,
      acked_per_s: Math.round(events / ((acked - start) / 1000)),
      received_per_s: Math.round(events / ((received - start) / 1000)),
    };
  } finally {
    await panel.stop();
    await sub.close();
    await broker.stop();
  }
}

export interface PanelReplay {
  /** Events replayed: the default outbox (256), full once the reconnect's own 350 joins them. */
  events: number;
  outbox_file_bytes: number;
  /** From the broker's restart to the panel's CONNACK (the session's backoff decides it). */
  reconnect_ms: number;
  acked_per_s: number;
  received_per_s: number;
}

/**
 * A whole Panel: mosquitto stops, the panel records events (keypad arm/disarm) until its
 * outbox holds its default capacity, mosquitto comes back, and the outbox drains.
 */
export async function panelReplay(): Promise<PanelReplay> {
  const broker = await Mosquitto.start({ persistence: true });
  const bp = benchPanel(8, { panelId: 'refill', brokerUrl: `mqtt://127.0.0.1:${broker.port}`, exitDelay: 0 });
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/refill/event'], {
    clientId: 'bench-monitor-refill', clean: false, properties: { sessionExpiryInterval: 600 },
  });
  const np = new NodePanel(bp.config);
  try {
    await until(() => np.up, 'the panel to connect');
    await until(() => np.panel.status().outbox === 0, 'the boot events to leave');
    const first = np.panel.status().lastSeq + 1;
    await broker.stop('SIGTERM');
    await until(() => !np.up, 'the panel to see the broker go');
    // 255 events, as many as the outbox held before issue 13 (256) less the 350 the reconnect
    // itself records; the outbox part (bench/outbox.ts) replays 10,000.
    const capacity = 256;
    for (let arm = true; np.panel.status().outbox < capacity - 1; arm = !arm) np.panel.keypad(arm ? 'arm_away' : 'disarm', bp.code);
    const fileBytes = np.storage.names().filter((n) => n.startsWith('outbox')).reduce((a, n) => a + np.storage.size(n), 0);
    const restart = performance.now();
    await broker.run();
    await until(() => np.up, 'the panel to reconnect', 70_000);
    const start = performance.now();
    await until(() => np.panel.status().outbox === 0, 'the outbox to drain', 60_000, 1);
    const acked = performance.now();
    const last = np.panel.status().lastSeq;
    const replayed = last - first + 1;
    const arrivals = new Arrivals(sub);
    await sub.until(() => arrivals.count(first, last) >= replayed, `every event at the subscriber (${first}..${last})`, 60_000);
    const received = performance.now();
    return {
      events: replayed, outbox_file_bytes: fileBytes, reconnect_ms: Math.round(start - restart),
      acked_per_s: Math.round(replayed / ((acked - start) / 1000)),
      received_per_s: Math.round(replayed / ((received - start) / 1000)),
    };
  } finally {
    np.close();
    await sub.close();
    await broker.stop();
  }
}

export interface UplinkOptions {
  /** Alarm cycles of the whole panel (4 events each; default 100). */
  panelCycles?: number;
  /** Samples of the session alone and of the floor per panel cycle (default 5). */
  perCycle?: number;
  replayEvents?: number;
}

export async function uplinkBench(options: UplinkOptions = {}) {
  const broker = await Mosquitto.start();
  let paths;
  try {
    paths = await latency(broker, options.panelCycles ?? 100, options.perCycle ?? 5);
  } finally {
    await broker.stop();
  }
  const events = options.replayEvents ?? 2000;
  return {
    latency_loopback_mosquitto: paths,
    replay_after_reconnect: {
      panel_full_outbox: await panelReplay(),
      session: [await sessionReplay(events, 8), await sessionReplay(events, 32)],
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = {
    machine: machine(),
    ...(await uplinkBench()),
    payload_bytes: payloadBytes(),
    notes: [
      'latency: one event at a time, the panel or publisher and the MQTT.js subscriber in this process, MQTT 5, QoS 1.',
      'replay: events queued while mosquitto was stopped; timed from the reconnect to the last PUBACK (acked) and the last arrival at the subscriber (received).',
    ],
  };
  writeFileSync(path.join(here, 'uplink.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
}
