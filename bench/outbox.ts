// Outbox benchmarks (a report, not a test): the outbox through a long outage.
// - Inside XS: heap slots after gc and computrons with 0, 1,000 and 10,000 events waiting, the
//   outbox of issue 13 (flash segments, payloads read back) beside the one before it (one file,
//   every payload in RAM: bench/legacy/outbox-v1.ts), in the same harness (bench/outbox-harness.ts).
// - On loopback mosquitto: a whole Panel on the Node host boots with 10,000 events waiting in its
//   outbox and replays them; acked per second, with the flash in memory and as files (fsync).
//   node --import tsx bench/outbox.ts        (prints JSON)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bundle, repoRoot } from '../tools/build.ts';
import { cost, heapAfterGc, measure, newWorker } from './xs.ts';
import { Mosquitto } from '../test/support/brokers.ts';
import { MemoryStorage } from '../hosts/xs/memory-storage.ts';
import { FileStorage } from '../hosts/node/file-storage.ts';
import { PersistentOutbox } from '../src/store/outbox.ts';
import type { Storage } from '../src/store/storage.ts';
import { encodeEvent } from '../src/uplink/payloads.ts';
import { ContactId } from '../src/core/events.ts';
import { benchPanel } from './panel-config.ts';
import { NodePanel, until } from './node-panel.ts';
import { Uplink } from '../src/uplink/uplink.ts';
import { nodeConnect } from '../hosts/node/transport.ts';
import { NodeTimer } from '../hosts/node/scheduler.ts';

export interface OutboxXs {
  kind: 'segments' | 'before';
  /** Heap slots after gc with the outbox open, less the same realm with the outbox let go (the simulated flash stays). */
  outboxSlots: Record<'waiting0' | 'waiting1000' | 'waiting10000' | 'reopened10000', number>;
  /** The simulated flash alone (MemoryStorage's files), slots. */
  flashSlots: number;
  flashBytes: number;
  /** `peekCold`: the first peek after a reopen (its segment read from flash); `peek32` the next. */
  computrons: Record<'push' | 'peekCold' | 'peek32' | 'ack' | 'open10000', number>;
}

const entries = {
  segments: `import { PersistentOutbox } from './src/store/outbox'; import { install } from './bench/outbox-harness'; install((s) => PersistentOutbox.open(s));`,
  before: `import { PersistentOutbox } from './bench/legacy/outbox-v1'; import { install } from './bench/outbox-harness'; install((s) => PersistentOutbox.open(s, { capacity: 10000 }));`,
};

async function call(worker: Awaited<ReturnType<typeof newWorker>>, code: string): Promise<number> {
  await worker.evaluate(`globalThis.__r = bench.${code}`);
  const { reply } = await worker.issueStringCommand('0');
  return Number(reply);
}

export async function outboxXs(kind: 'segments' | 'before', big = 10_000): Promise<OutboxXs> {
  const { code } = await bundle({ stdin: { contents: `${entries[kind]}\n(globalThis as any).handleCommand = () => new TextEncoder().encode(String((globalThis as any).__r)).buffer;`, resolveDir: repoRoot }, format: 'iife' });
  const worker = await newWorker(`outbox-${kind}`);
  try {
    await worker.evaluate(code);
    const slots = async () => {
      const withOutbox = await heapAfterGc(worker);
      return withOutbox;
    };
    // The empty outbox first: its flash is a file or two, read against the same realm without it.
    await call(worker, 'setup()');
    await call(worker, 'release()');
    const flash0 = await heapAfterGc(worker);
    await call(worker, 'reopen()');
    const w0 = await slots();
    await call(worker, 'fill(1000)');
    const w1000 = await slots();
    await call(worker, 'release()');
    const flash1000 = await heapAfterGc(worker);
    await call(worker, 'reopen()');
    await call(worker, `fill(${big})`);
    const w10000 = await slots();
    await call(worker, 'release()');
    const flash10000 = await heapAfterGc(worker);
    const open10000 = await cost(worker, 'reopen()');
    const reopened = await slots();
    const peekCold = await cost(worker, 'peek()');
    const peek32 = await cost(worker, 'peek()');
    const push = await cost(worker, 'push()');
    let acks = 0;
    for (let i = 0; i < 8; i++) acks += await cost(worker, 'ack()');
    const flashBytes = await call(worker, 'flashBytes()');
    return {
      kind,
      outboxSlots: { waiting0: w0 - flash0, waiting1000: w1000 - flash1000, waiting10000: w10000 - flash10000, reopened10000: reopened - flash10000 },
      flashSlots: flash10000 - flash0,
      flashBytes,
      computrons: { push, peekCold, peek32, ack: Math.round(acks / 8), open10000 },
    };
  } finally {
    await worker.close();
  }
}

/** A panel's real events while the broker is away: openings and closings, an alarm every tenth. */
function fillOutbox(storage: Storage, n: number): number {
  const { outbox } = PersistentOutbox.open(storage);
  for (let seq = 1; seq <= n; seq++) {
    const base = { seq, boot: 1, uptime: seq * 60_000, time: 1_790_000_000 + seq * 60 };
    const alarm = seq % 10 === 0;
    outbox.push(seq, encodeEvent(alarm ? { ...base, code: ContactId.burglary, q: 1, zone: 3 } : { ...base, code: ContactId.openClose, q: seq % 2 ? 1 : 3, user: 1 }), alarm);
  }
  return outbox.flashBytes();
}

export interface OutboxReplay {
  flash: 'memory' | 'files';
  /** Events waiting when the panel booted (and the few the boot adds). */
  events: number;
  flash_bytes: number;
  /** Panel.open with that outbox (journal recovery included), ms. */
  boot_ms: number;
  /** From the panel's CONNACK to its outbox empty. */
  replay_ms: number;
  acked_per_s: number;
}

/** A whole Panel boots with `n` events waiting in its outbox, connects to mosquitto and replays them. */
export async function panelReplay(flash: 'memory' | 'files', n = 10_000): Promise<OutboxReplay> {
  const dir = flash === 'files' ? mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-')) : undefined;
  const storage: Storage = dir ? new FileStorage(dir) : new MemoryStorage();
  const broker = await Mosquitto.start();
  let np: NodePanel | undefined;
  try {
    const flashBytes = fillOutbox(storage, n);
    const bp = benchPanel(8, { panelId: `replay-${flash}`, brokerUrl: `mqtt://127.0.0.1:${broker.port}`, exitDelay: 0 });
    const booting = performance.now();
    np = new NodePanel(bp.config, storage as MemoryStorage);
    const booted = performance.now();
    const panel = np;
    const waiting = panel.panel.status().outbox;
    await until(() => panel.up, 'the panel to connect', 30_000, 1);
    const start = performance.now();
    await until(() => panel.panel.status().outbox === 0, 'the outbox to drain', 120_000, 1);
    const ms = performance.now() - start;
    return { flash, events: waiting, flash_bytes: flashBytes, boot_ms: Math.round(booted - booting), replay_ms: Math.round(ms), acked_per_s: Math.round(waiting / (ms / 1000)) };
  } finally {
    np?.close();
    await broker.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export interface SessionReplay { flash: 'memory' | 'files'; window: number; ack_batch: number; events: number; replay_ms: number; acked_per_s: number }

/**
 * The uplink session alone (no Panel) over a PersistentOutbox holding `n` events: the outbox's
 * own cost in the replay, with each ack written as it comes or in batches (`ackBatch`).
 */
export async function sessionReplay(flash: 'memory' | 'files', window: number, ackBatch: number, n = 10_000): Promise<SessionReplay> {
  const dir = flash === 'files' ? mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-')) : undefined;
  const storage: Storage = dir ? new FileStorage(dir) : new MemoryStorage();
  const broker = await Mosquitto.start();
  fillOutbox(storage, n);
  const { outbox } = PersistentOutbox.open(storage, { ackBatch });
  let up = false;
  const session = new Uplink(
    { host: '127.0.0.1', port: broker.port, clientId: `replay-${flash}-${window}-${ackBatch}`, panelId: 'replay', keepalive: 30, window, backoff: { min: 100, max: 1_000 } },
    { connect: nodeConnect, outbox, onStatus: (isUp: boolean) => { up = isUp; }, wake: () => runner.wake() },
  );
  const runner = new NodeTimer();
  runner.start({ service: (now) => session.tick(now), nextDeadline: () => session.nextDeadline() });
  try {
    await until(() => up, 'the session to connect', 30_000, 1);
    const start = performance.now();
    await until(() => outbox.size() === 0, 'the outbox to drain', 300_000, 1);
    const ms = performance.now() - start;
    return { flash, window, ack_batch: ackBatch, events: n, replay_ms: Math.round(ms), acked_per_s: Math.round(n / (ms / 1000)) };
  } finally {
    session.stop();
    runner.stop();
    await broker.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export async function outboxBench(options: { events?: number } = {}) {
  const events = options.events ?? 10_000;
  const xs = [await outboxXs('segments', events), await outboxXs('before', events)];
  const replay = [await panelReplay('memory', events), await panelReplay('files', events)];
  const session = [
    await sessionReplay('memory', 8, 1, events), await sessionReplay('memory', 32, 1, events),
    await sessionReplay('files', 32, 1, events), await sessionReplay('files', 32, 16, events),
  ];
  return { events, xs, replay, session };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await outboxBench(), null, 2));
  process.exit(0);
}
