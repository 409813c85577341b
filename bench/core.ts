// Benchmark (a report, not a test): the alarm core inside real XS (xsnap-worker).
//
// Computrons (XS's deterministic count of work, `meterUsage.compute`) per input event and
// per tick, and heap slots after gc, for panels of 8 and 32 zones. Every figure is the cost
// of one `evaluate` minus the cost of the same call text to a no-op, so parsing the call is
// not counted. bench/run.ts calls `coreBench`; run alone, this writes bench/core.json and
// prints a table.
//
//   node --import tsx bench/core.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, repoRoot } from '../tools/build.ts';
import { cost, heapAfterGc, newWorker } from './xs.ts';

// The harness that runs inside XS: one panel, driven by calls from Node.
const harness = `
import { initialState, step, snapshot, persisted } from '../src/core/machine';
import { makeUser, validateSettings } from '../src/core/settings';

let settings, state, uptime = 0;
const types = ['follower', 'instant'];
globalThis.bench = {
  setup(n) {
    const zones = [];
    for (let i = 1; i <= n; i++) {
      const type = i <= 2 ? 'delayed' : i === n ? '24h' : i === n - 1 ? 'panic' : types[i % 2];
      zones.push({ number: i, name: 'Zone ' + i, type, chime: i === 1 });
    }
    const users = [
      makeUser({ number: 1, role: 'master', code: '1234', salt: '0a1b2c3d4e5f6071', duressCode: '9999' }),
      makeUser({ number: 2, role: 'user', code: '2580', salt: '1122334455667788' }),
      makeUser({ number: 3, role: 'arm-only', code: '1111', salt: 'a0b0c0d0e0f00010' }),
    ];
    const v = validateSettings({ zones, users });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    settings = v.settings;
    uptime = 0;
    state = step(settings, initialState(settings, 1), { type: 'boot' }, { uptime }).state;
  },
  step(input, ms) {
    uptime += ms;
    const r = step(settings, state, input, { uptime });
    state = r.state;
    return state.mode;
  },
  snapshot() { return snapshot(settings, state, { uptime }).zones.length; },
  persisted() { return persisted(state).seq; },
  mode() { return state.mode; },
  noop() { return ''; },
};
`;

/** What is measured, in order: [label, kind, call]. Each call continues from the state the previous one left. */
const calls = (n: number): Array<[string, 'event' | 'tick' | 'host', string]> => [
  ['zone opens (disarmed, chime)', 'event', `step({type:'zone',zone:1,open:true},1000)`],
  ['zone closes (disarmed)', 'event', `step({type:'zone',zone:1,open:false},1000)`],
  ['tick, nothing due', 'tick', `step({type:'tick'},1000)`],
  ['keypad arm_away (3 users: 3 SHA-256)', 'event', `step({type:'keypad',action:'arm_away',code:'2580'},1000)`],
  ['tick, exit delay ends (401)', 'tick', `step({type:'tick'},30000)`],
  ['zone opens (armed: entry delay)', 'event', `step({type:'zone',zone:2,open:true},1000)`],
  ['keypad disarm', 'event', `step({type:'keypad',action:'disarm',code:'2580'},1000)`],
  ['zone closes (disarmed)', 'event', `step({type:'zone',zone:2,open:false},1000)`],
  ['remote arm_away (no code)', 'event', `step({type:'remote',user:1,action:'arm_away'},1000)`],
  ['tick, exit delay ends (401)', 'tick', `step({type:'tick'},30000)`],
  [`instant zone opens (armed: 130, siren)`, 'event', `step({type:'zone',zone:4,open:true},1000)`],
  ['tick, siren cap', 'tick', `step({type:'tick'},180000)`],
  ['remote disarm (130 q3)', 'event', `step({type:'remote',user:1,action:'disarm'},1000)`],
  ['tamper (disarmed: 137)', 'event', `step({type:'tamper',zone:${n},active:true},1000)`],
  ['keypad wrong code', 'event', `step({type:'keypad',action:'disarm',code:'0000'},1000)`],
  ['snapshot()', 'host', `snapshot()`],
  ['persisted()', 'host', `persisted()`],
];

interface Row { label: string; kind: string; computrons: number }

export interface CoreSize {
  rows: Row[];
  meanPerEvent: number;
  meanPerTick: number;
  heapEmptyRealm: number;
  heapCodeLoaded: number;
  heapSettingsAndState: number;
  heapAfter340Calls: number;
  heapAfter680Calls: number;
}

export interface CoreReport {
  engine: string;
  unit: { computrons: string; heap: string };
  coreBundleBytesMinified: number;
  [zones: `zones${number}`]: CoreSize;
}

/** The alarm core alone in XS, for panels of each size in `sizes` (default 8 and 32 zones). */
export async function coreBench(sizes: number[] = [8, 32]): Promise<CoreReport> {
  const { code } = await bundle({ stdin: { contents: harness, resolveDir: path.join(repoRoot, 'bench') }, format: 'iife' });
  const core = await bundle({ entry: 'src/core/machine.ts', format: 'esm', minify: true });
  const report: CoreReport = {
    engine: 'XS (xsnap-worker from @agoric/xsnap 0.15.0)',
    unit: { computrons: 'meterUsage.compute of one call, minus the same call text to a no-op', heap: 'currentHeapCount after gc(), slots' },
    coreBundleBytesMinified: core.bytes,
  };
  for (const n of sizes) {
    const worker = await newWorker('core-bench'); // a fresh realm for each size: heap figures do not mix
    try {
      const empty = await heapAfterGc(worker);
      await worker.evaluate(code);
      const loaded = await heapAfterGc(worker);
      await worker.evaluate(`bench.setup(${n})`);
      const ready = await heapAfterGc(worker);
      const rows: Row[] = [];
      for (const [label, kind, call] of calls(n)) rows.push({ label, kind, computrons: await cost(worker, call) });
      // 20 rounds of the calls in one evaluate: each evaluate keeps a slot or so of xsnap's own.
      const round = async () => {
        await worker.evaluate(`for (let i = 0; i < 20; i++) { ${calls(n).map(([, , call]) => `bench.${call};`).join(' ')} }`);
        return heapAfterGc(worker);
      };
      const after = await round();
      const afterMore = await round();
      const mean = (kind: string) => Math.round(rows.filter((r) => r.kind === kind).reduce((a, r) => a + r.computrons, 0) / rows.filter((r) => r.kind === kind).length);
      report[`zones${n}`] = {
        rows,
        meanPerEvent: mean('event'),
        meanPerTick: mean('tick'),
        heapEmptyRealm: empty,
        heapCodeLoaded: loaded - empty,
        heapSettingsAndState: ready - loaded,
        heapAfter340Calls: after - loaded,
        heapAfter680Calls: afterMore - loaded,
      };
    } finally {
      await worker.close();
    }
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await coreBench();
  fs.writeFileSync(path.join(repoRoot, 'bench/core.json'), `${JSON.stringify(report, null, 2)}\n`);

  const z8 = report.zones8;
  const z32 = report.zones32;
  const pad = (s: string | number, w: number) => String(s).padStart(w);
  console.log(`alarm core in ${report.engine}; src/core minified: ${report.coreBundleBytesMinified} bytes`);
  console.log(`${'computrons per call'.padEnd(42)}${pad('8 zones', 10)}${pad('32 zones', 10)}`);
  z8.rows.forEach((r, i) => console.log(`${r.label.padEnd(42)}${pad(r.computrons, 10)}${pad(z32.rows[i].computrons, 10)}`));
  console.log(`${'mean per input event'.padEnd(42)}${pad(z8.meanPerEvent, 10)}${pad(z32.meanPerEvent, 10)}`);
  console.log(`${'mean per tick'.padEnd(42)}${pad(z8.meanPerTick, 10)}${pad(z32.meanPerTick, 10)}`);
  console.log(`${'heap slots after gc: settings + state'.padEnd(42)}${pad(z8.heapSettingsAndState, 10)}${pad(z32.heapSettingsAndState, 10)}`);
  console.log(`${'heap slots after gc: + 340 calls'.padEnd(42)}${pad(z8.heapAfter340Calls, 10)}${pad(z32.heapAfter340Calls, 10)}`);
  console.log(`${'heap slots after gc: + 680 calls'.padEnd(42)}${pad(z8.heapAfter680Calls, 10)}${pad(z32.heapAfter680Calls, 10)}`);
  console.log(`heap slots after gc: empty realm ${z8.heapEmptyRealm}, + core and harness code ${z8.heapCodeLoaded}`);
  console.log('written: bench/core.json');
}
