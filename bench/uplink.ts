// Uplink benchmarks (a report, not a test): writes bench/uplink.json.
//   node --import tsx bench/uplink.ts
// - edge → subscriber latency on loopback mosquitto (p50/p99), one event at a time;
// - replay rate after a reconnect: events waiting in the outbox while the broker was down;
// - payload bytes, CBOR against the same event as JSON.
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mosquitto, MOSQUITTO } from '../test/support/brokers.ts';
import { Subscriber, readEvent } from '../test/uplink/subscriber.ts';
import { TestPanel } from '../test/uplink/panel.ts';
import { encodeEvent, encodeState } from '../src/uplink/payloads.ts';
import { ContactId, type PanelEvent } from '../src/core/events.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const distinct = (sub: Subscriber) => new Set(sub.messages.map((m) => readEvent(m.payload).seq)).size;

async function latency(samples: number) {
  const broker = await Mosquitto.start();
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/bench/event']);
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'bench' });
  await panel.until(() => panel.up, 'up');
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    panel.add(1);
    await sub.until(() => sub.messages.length > i, `event ${i + 1}`);
    ms.push(sub.messages[i].at - start);
  }
  await panel.stop();
  await sub.close();
  await broker.stop();
  const sorted = [...ms].sort((a, b) => a - b);
  return { samples, p50_ms: round(pct(sorted, 50), 3), p99_ms: round(pct(sorted, 99), 3), max_ms: round(sorted[sorted.length - 1], 3) };
}

async function replay(events: number, window: number) {
  const broker = await Mosquitto.start({ persistence: true });
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/replay/event'], {
    clientId: `bench-monitor-${window}`, clean: false, properties: { sessionExpiryInterval: 600 },
  });
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'replay', window, backoff: { min: 50, max: 200 } });
  await panel.until(() => panel.up, 'up');
  await broker.stop('SIGTERM');
  await panel.until(() => !panel.up, 'down');
  panel.add(events);
  await broker.run();
  await panel.until(() => panel.up, 'up again', 10_000);
  const start = performance.now();
  await panel.until(() => panel.outbox.size() === 0, 'the outbox to drain', 60_000);
  const acked = performance.now();
  await sub.until(() => distinct(sub) >= events, 'every event at the subscriber', 60_000);
  const received = performance.now();
  await panel.stop();
  await sub.close();
  await broker.stop();
  return {
    events, window,
    acked_per_s: Math.round(events / ((acked - start) / 1000)),
    received_per_s: Math.round(events / ((received - start) / 1000)),
  };
}

function payloadBytes() {
  const event: PanelEvent = { seq: 4711, boot: 12, uptime: 86_400_000, time: 1_767_225_600, code: ContactId.burglary, q: 1, zone: 3 };
  const noClock: PanelEvent = { seq: 4711, boot: 12, uptime: 86_400_000, code: ContactId.openClose, q: 3, user: 2 };
  const state = { mode: 'armed_away', open: [3], bypassed: [7], memory: [3], faults: [], ready: { armed_away: false, armed_home: true } };
  const row = (name: string, cbor: Uint8Array, json: unknown) => {
    const j = Buffer.byteLength(JSON.stringify(json));
    return { payload: name, cbor_bytes: cbor.length, json_bytes: j, ratio: round(cbor.length / j) };
  };
  return [
    row('zone alarm event (wall time known)', encodeEvent(event), event),
    row('closing by user (no wall time)', encodeEvent(noClock), noClock),
    row('state snapshot', encodeState(state), { v: 1, ...state }),
  ];
}

const mosquittoVersion = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0].trim(); // -h exits 3
const report = {
  when: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, broker: mosquittoVersion },
  latency_loopback_mosquitto: await latency(500),
  replay_after_reconnect: [await replay(2000, 8), await replay(2000, 32)],
  payload_bytes: payloadBytes(),
  notes: [
    'latency: one event at a time, from the outbox add to its arrival at an MQTT.js subscriber, both in this process, MQTT 5, QoS 1.',
    'replay: events queued while mosquitto was stopped; timed from the reconnect to the last PUBACK (acked) and the last arrival at the subscriber (received).',
    'XS computrons per published event: not measured here yet.',
  ],
};
writeFileSync(path.join(here, 'uplink.json'), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
