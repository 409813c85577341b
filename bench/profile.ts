// Where the computrons of one metered door edge go (a tool, not part of the report): the armed
// bench panel of bench/xs-panel.ts, one alarm edge metered plain, then again with every method
// of the panel's classes wrapped (bench/profile-harness.ts), printed as a table.
//
//   node --import tsx bench/profile.ts [zones] [rows] [events] [keyed|sealed]   (default 8 zones, 40 rows; `events`
//   driven first, as bench/xs-panel.ts drives 1,000 before its metered alarms; keyed/sealed: with the uplink key)
import { bundle } from '../tools/build.ts';
import { ask, cost, cryptHost, newWorker } from './xs.ts';
import { firmwareNatives } from './xs-panel.ts';
import { benchPanel } from './panel-config.ts';

const zones = Number(process.argv[2] ?? 8);
const rows = Number(process.argv[3] ?? 40);
const events = Number(process.argv[4] ?? 0);
const uplink = process.argv[5] === 'keyed' || process.argv[5] === 'sealed' ? process.argv[5] : undefined;
// The firmware's src/hash, as the report's first rows: SHA-256 is a native call on the device.
const { code } = await bundle({ entry: 'bench/profile-harness.ts', format: 'iife', modules: firmwareNatives });
const worker = await newWorker('profile', { handleCommand: cryptHost() });
try {
  await worker.evaluate(code);
  await worker.evaluate(`bench.setup(${zones}${uplink ? `, '${uplink}'` : ''}); ${events > 0 ? `bench.events(${events});` : ''} bench.arm(); bench.capture();`);
  const p = benchPanel(zones);
  const edge = `edge(${p.pinOf(p.instantZone)}, ${p.openLevel})`;
  const next = 'bench.release(); bench.service(); bench.rearm(); bench.capture();';
  await cost(worker, edge); // the first alarm after boot differs slightly from later ones
  await worker.evaluate(next);
  const plain = await cost(worker, edge);
  await worker.evaluate(`${next} bench.profileOn();`);
  const wrapped = await cost(worker, edge);
  await worker.evaluate('bench.profileOff()');
  const table = await ask<Array<{ method: string; calls: number; computrons: number }>>(worker, 'profile');
  console.log(`${zones} zones, door edge → state + event PUBLISH: ${plain} computrons (${wrapped} with every method wrapped)`);
  console.log('inclusive computrons  calls  method');
  for (const r of table.slice(0, rows)) console.log(`${String(r.computrons).padStart(20)}  ${String(r.calls).padStart(5)}  ${r.method}`);
} finally {
  await worker.close();
}
