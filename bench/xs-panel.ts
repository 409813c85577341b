// Benchmark (a report, not a test): the whole panel inside real XS (xsnap-worker).
//
// - Computrons from a door pin edge to the PUBLISH bytes of the alarm event it causes, on an
//   armed panel (SimHost + Panel, MQTT 5 to an in-memory broker whose work is not counted),
//   against a hand-minimal encoder of the same event (bench/minimal.ts) measured the same way;
//   and the parts of that path alone: the core's step, cbor-x, mqtt-packet.
// - Heap slots after gc for the whole app: after boot, and after 1,000 events.
// - In two builds of the same harness, differing in `src/hash` only: the firmware's
//   (hosts/moddable/src/hash.ts, as manifest.json maps it, over bench/shims/crypt.ts: a `Digest`
//   whose hashing is one xsnap host call per native method, answered by Node, as the ESP32's SHA
//   hardware takes it off the XS engine), and @noble/hashes in JS (src/hash.ts: what the Node and
//   xsnap builds run). Both must give src/hash.ts's results on bench/hash-vectors.ts.
//
//   node --import tsx bench/xs-panel.ts        (prints JSON)
import { fileURLToPath } from 'node:url';
import { bundle } from '../tools/build.ts';
import { ask, cost, cryptHost, heapAfterGc, measure, newWorker, type Worker } from './xs.ts';
import { benchPanel } from './panel-config.ts';
import { hashVectors, known } from './hash-vectors.ts';
import { hmacSha256, sha256 } from '../src/hash.ts';

/** `src/hash` and `src/aead` as the firmware has them on Moddable (manifest.json), with bench stand-ins for the natives. */
export const firmwareNatives = {
  'src/hash': 'hosts/moddable/src/hash.ts',
  'src/aead': 'hosts/moddable/src/aead.ts',
  crypt: 'bench/shims/crypt.ts',
  hmac: 'bench/shims/hmac.ts',
};

export type HashBuild = 'firmware' | 'noble';

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
  /** One SHA-256 of the event's chain-link input, through `src/hash` as this build has it. */
  sha256: number;
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
    sha256: await cost(worker, 'sha256()'),
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

const medianKeys = ['app', 'puback', 'coreStep', 'encodeEvent', 'journalRecord', 'sha256', 'encodeState', 'stateDelta', 'encodePublish', 'handCbor', 'handPublish', 'minimal', 'sirenApp', 'sirenMinimal', 'sirenDebounced'] as const;

/** The harness bundled with `src/hash` as the firmware has it, or as @noble/hashes. */
export function harnessBundle(hash: HashBuild) {
  return bundle({ entry: 'bench/xs-panel-harness.ts', format: 'iife', modules: hash === 'firmware' ? firmwareNatives : undefined });
}

/** Throws unless the worker's `src/hash` gives src/hash.ts's results (and the known answers). */
async function checkHash(worker: Worker, hash: HashBuild): Promise<void> {
  const inXs = await ask<Record<string, string>>(worker, 'hashVectors');
  const onNode = hashVectors(sha256, hmacSha256);
  for (const [name, hex] of Object.entries({ ...onNode, ...known })) {
    if (inXs[name] !== hex) throw new Error(`${hash} src/hash in XS: ${name} is ${inXs[name]}, src/hash.ts gives ${hex}`);
  }
}

export async function xsPanelBench(options: XsPanelOptions = {}) {
  const firmware = await harnessBundle('firmware');
  const noble = await harnessBundle('noble');
  const run = async (hash: HashBuild, code: string) => ({ hash, sizes: await sizesOf(hash, code, options) });
  const [fw, nb] = [await run('firmware', firmware.code), await run('noble', noble.code)];
  const authenticated = await authenticatedAlarms(firmware.code, options);
  return {
    /** The harness bundle with the firmware's `src/hash` (`sizes`), and with @noble/hashes (`noble`). */
    harnessBundleBytes: firmware.bytes,
    nobleHarnessBundleBytes: noble.bytes,
    events: options.events ?? 1000,
    repeats: options.repeats ?? 5,
    /** The firmware's `src/hash` (native Digest as a host call). */
    sizes: fw.sizes,
    /** The same with `src/hash` on @noble/hashes in JS (the xsnap and Node builds). */
    noble: nb.sizes,
    /** The alarm edge with the uplink key set (firmware hash): authenticated, and sealed. */
    authenticated,
  };
}

/**
 * The same alarm edge (edge → state + event PUBLISH) on a panel with the uplink key, as the portal
 * sets it: every message in a COSE_Mac0 (`keyed`), and in sealed mode a COSE_Encrypt0 (`sealed`,
 * ChaCha20-Poly1305 from @noble/ciphers in JS). The firmware hash build; the median of three alarms.
 */
async function authenticatedAlarms(code: string, options: XsPanelOptions) {
  const results = [];
  for (const n of options.zones ?? [8, 32]) {
    const p = benchPanel(n);
    const edge = `edge(${p.pinOf(p.instantZone)}, ${p.openLevel})`;
    const row = { zones: n, keyed: 0, sealed: 0 };
    for (const uplink of ['keyed', 'sealed'] as const) {
      const worker = await newWorker(`panel-${n}-${uplink}`, { handleCommand: cryptHost() });
      try {
        await worker.evaluate(code);
        await call(worker, `setup(${n}, '${uplink}')`, 1);
        await call(worker, 'arm()', 1);
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) {
          if (i > 0) await call(worker, 'rearm()', 1);
          await call(worker, 'capture()', 1);
          runs.push(await cost(worker, edge));
          await call(worker, 'release()');
          await call(worker, 'service()', 0); // the PUBACK read: nothing waits
          const r = await ask<HarnessReport>(worker, 'report');
          if (r.mode !== 'triggered' || !r.packets.some((q) => q.topic?.endsWith('/event'))) throw new Error(`${uplink}: the metered edge left the panel ${r.mode} or published no event`);
        }
        row[uplink] = median(runs);
      } finally {
        await worker.close();
      }
    }
    results.push(row);
  }
  return results;
}

async function sizesOf(hash: HashBuild, code: string, options: XsPanelOptions) {
  const zones = options.zones ?? [8, 32];
  const eventCount = options.events ?? 1000;
  const repeats = options.repeats ?? 5;
  const results = [];
  for (const n of zones) {
    // A fresh realm per size: heap figures do not mix.
    const worker = await newWorker(`panel-${n}-${hash}`, hash === 'firmware' ? { handleCommand: cryptHost() } : {});
    try {
      const empty = await heapAfterGc(worker);
      await worker.evaluate(code);
      const loaded = await heapAfterGc(worker);
      await checkHash(worker, hash);
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
        median: Object.fromEntries(medianKeys.map((k) => [k, median(runs.map((r) => r[k]))])) as Record<string, number>,
        driveMs: Math.round(drove),
        noopComputrons: compute.compute,
      });
    } finally {
      await worker.close();
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await xsPanelBench(), null, 2));
}
