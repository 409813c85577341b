// Benchmark (a report, not a test): the whole panel inside real XS (xsnap-worker).
//
// - Computrons from a door pin edge to the PUBLISH bytes of the alarm event it causes, on an
//   armed panel (SimHost + Panel, MQTT 5 to an in-memory broker whose work is not counted),
//   against a hand-minimal encoder of the same event (bench/minimal.ts) measured the same way;
//   and the parts of that path alone: the core's step, cbor-x, mqtt-packet.
// - Heap slots after gc for the whole app: after boot, and after 1,000 events.
//
//   node --import tsx bench/xs-panel.ts        (prints JSON)
import { fileURLToPath } from 'node:url';
import { bundle } from '../tools/build.ts';
import { ask, cost, heapAfterGc, measure, newWorker, type Worker } from './xs.ts';
import { benchPanel } from './panel-config.ts';

export interface XsPanelOptions {
  zones?: number[];
  /** Events driven through the app before the heap is read again (default 1,000). */
  events?: number;
  /** Metered alarms per panel size (default 5; computrons are deterministic, this shows it). */
  repeats?: number;
}

interface HarnessReport {
  packets: Array<{ cmd: string; topic?: string; bytes: number }>;
  event: Record<string, number>;
  eventFrameBytes: number;
  eventPayloadBytes: number;
  sameBytes: boolean;
  mode: string;
  outbox: number;
  lastSeq: number;
  storageBytes: number;
}

/** One metered alarm: the app's path and its parts, and the minimal path, on the same event. */
export interface AlarmRun {
  /** Door pin edge → debounce → core → journal → state + event PUBLISH bytes written. */
  app: number;
  /** The PUBACK read, the event acknowledged out of the outbox. */
  puback: number;
  coreStep: number;
  encodeEvent: number;
  /** Log append (SHA-256 chain link) and outbox push of the event, on a journal of its own. */
  journalRecord: number;
  /** The whole snapshot encoded from scratch (`encodeState`), as every event cost before the state encoder. */
  encodeState: number;
  /** The panel's snapshot after the edge, through a state encoder that has seen the one before it: what the app pays. */
  stateDelta: number;
  encodePublish: number;
  handCbor: number;
  handPublish: number;
  /** Pin edge → decision → hand CBOR → hand PUBLISH frame, no libraries. */
  minimal: number;
  /** Door pin edge → debounce → core → the siren pin written (within `app`'s call). */
  sirenApp: number;
  /** Pin edge → zone looked up → decision → the siren pin written, by hand on the same simulated pins. */
  sirenMinimal: number;
  /** The same by hand with the 50 ms debounce: the edge notes its time; the timer reads, decides, writes. */
  sirenDebounced: number;
  sameBytes: boolean;
  packets: HarnessReport['packets'];
  eventFrameBytes: number;
  eventPayloadBytes: number;
}

async function call(worker: Worker, code: string, expect?: number): Promise<void> {
  await worker.evaluate(`globalThis.__r = bench.${code}; if (${expect === undefined} === false && globalThis.__r !== ${expect ?? 0}) throw new Error('${code.replace(/'/g, '')}: got ' + globalThis.__r);`);
}

async function meterAlarm(worker: Worker, pin: number, open: number, zone: number): Promise<AlarmRun> {
  await call(worker, 'capture()', 1);
  const app = await cost(worker, `edge(${pin}, ${open})`);
  const siren = await ask<{ app: number; minimal: number }>(worker, 'sirenFigures');
  await call(worker, 'release()');
  const puback = await cost(worker, 'service()');
  const parts = {
    coreStep: await cost(worker, `step(${zone})`),
    encodeEvent: await cost(worker, 'encodeEvent()'),
    journalRecord: await cost(worker, 'record()'),
    encodeState: await cost(worker, 'encodeState()'),
    stateDelta: (await call(worker, 'primeEncoder()'), await cost(worker, 'stateDelta()')),
    encodePublish: await cost(worker, 'encodePublish()'),
    handCbor: await cost(worker, 'handCbor()'),
    handPublish: await cost(worker, 'handPublish()'),
  };
  await call(worker, `minimalSirenEdge(${pin}, ${open})`); // the first call only sets the minimal siren up
  await call(worker, `minimalSirenEdge(${pin}, ${open})`);
  await call(worker, `debouncedSirenEdge(${pin}, ${open})`); // the same
  await call(worker, `debouncedSirenEdge(${pin}, ${open})`);
  const { minimal: sirenMinimal, debounced: sirenDebounced } = await ask<{ app: number; minimal: number; debounced: number }>(worker, 'sirenFigures');
  if (siren.app < 0 || sirenMinimal < 0 || sirenDebounced < 0) throw new Error(`the metered edge wrote no siren pin (app ${siren.app}, minimal ${sirenMinimal}, debounced ${sirenDebounced})`);
  await call(worker, 'alignMinimal()', 1);
  const minimal = await cost(worker, `minimalEdge(${pin}, ${open})`);
  const r = await ask<HarnessReport>(worker, 'report');
  if (r.mode !== 'triggered') throw new Error(`the metered edge left the panel ${r.mode}, not triggered`);
  if (r.outbox !== 0) throw new Error(`${r.outbox} events still wait in the outbox after the PUBACK`);
  if (!r.packets.some((p) => p.topic?.endsWith('/event'))) throw new Error('the metered edge published no event');
  return {
    app, puback, ...parts, minimal, sirenApp: siren.app, sirenMinimal, sirenDebounced, sameBytes: r.sameBytes, packets: r.packets,
    eventFrameBytes: r.eventFrameBytes, eventPayloadBytes: r.eventPayloadBytes,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function xsPanelBench(options: XsPanelOptions = {}) {
  const zones = options.zones ?? [8, 32];
  const eventCount = options.events ?? 1000;
  const repeats = options.repeats ?? 5;
  const { code, bytes } = await bundle({ entry: 'bench/xs-panel-harness.ts', format: 'iife' });
  const results = [];
  for (const n of zones) {
    const worker = await newWorker(`panel-${n}`); // a fresh realm per size: heap figures do not mix
    try {
      const empty = await heapAfterGc(worker);
      await worker.evaluate(code);
      const loaded = await heapAfterGc(worker);
      await call(worker, `setup(${n})`, 1);
      await call(worker, 'forget()', 1);
      const booted = await heapAfterGc(worker);
      const before = await ask<HarnessReport>(worker, 'report');
      const start = performance.now();
      const drive = await measure(worker, `globalThis.__r = bench.events(${eventCount})`);
      const drove = performance.now() - start;
      await call(worker, 'forget()', 1);
      const afterEvents = await heapAfterGc(worker);
      const after = await ask<HarnessReport>(worker, 'report');
      // A realm's gc count drifts by a slot or so per evaluate: read it once more, later.
      const events = after.lastSeq - before.lastSeq;

      const p = benchPanel(n);
      const runs: AlarmRun[] = [];
      await call(worker, 'arm()', 1);
      for (let i = 0; i < repeats; i++) {
        if (i > 0) await call(worker, 'rearm()', 1);
        runs.push(await meterAlarm(worker, p.pinOf(p.instantZone), p.openLevel, p.instantZone));
      }
      const compute = await measure(worker, 'bench.noop()');
      results.push({
        zones: n,
        heap: {
          emptyRealm: empty,
          codeLoaded: loaded - empty,
          afterBoot: booted - loaded,
          afterEvents: afterEvents - loaded,
          events,
          storageBytesAfterEvents: after.storageBytes,
          outboxAfterEvents: after.outbox,
        },
        /** The whole drive (keypad codes hashed, exit delays, alarms, siren, publishes, acks) per event. */
        mixedComputronsPerEvent: Math.round(drive.compute / events),
        alarm: runs,
        median: Object.fromEntries((['app', 'puback', 'coreStep', 'encodeEvent', 'journalRecord', 'encodeState', 'stateDelta', 'encodePublish', 'handCbor', 'handPublish', 'minimal', 'sirenApp', 'sirenMinimal', 'sirenDebounced'] as const)
          .map((k) => [k, median(runs.map((r) => r[k]))])) as Record<string, number>,
        driveMs: Math.round(drove),
        noopComputrons: compute.compute,
      });
    } finally {
      await worker.close();
    }
  }
  return { harnessBundleBytes: bytes, events: eventCount, repeats, sizes: results };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await xsPanelBench(), null, 2));
}
