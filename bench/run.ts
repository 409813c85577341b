// The benchmark command: measures every part in one run and writes bench/report.md and
// bench/report.json.
//
//   node --import tsx bench/run.ts                 (npm run bench; about two minutes)
//   node --import tsx bench/run.ts --fleet 1000    (the fleet part with 1,000 panels)
//   node --import tsx bench/run.ts --only fuzz --merge   (the fuzz part alone: 1,000,000 inputs, about 3 minutes)
//   options: --only core,xs,sizes,moddable,uplink,outbox,fleet,fuzz   --fuzz N (fuzz inputs)   --quick (tiny sizes)   --out DIR   --fleet-seconds S
//            --merge (with --only: re-measure those parts, keep the others of the report in --out, say so)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../tools/build.ts';
import { collect, markdown, merge, parts, type Part, type Report } from './report.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    merge: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(repoRoot, 'bench') },
    fleet: { type: 'string' },
    fuzz: { type: 'string' },
    'fleet-seconds': { type: 'string' },
  },
});

const chosen = values.only ? values.only.split(',').map((p) => p.trim()) : [...parts];
const unknown = chosen.filter((p) => !(parts as readonly string[]).includes(p));
if (unknown.length) {
  console.error(`unknown part(s): ${unknown.join(', ')}; the parts are ${parts.join(', ')}`);
  process.exit(2);
}
const count = (name: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} takes a whole number ≥ 1, got ${text}`);
    process.exit(2);
  }
  return n;
};

const measured = await collect({
  parts: chosen as Part[],
  quick: values.quick,
  fleet: count('fleet', values.fleet),
  fleetSeconds: count('fleet-seconds', values['fleet-seconds']),
  fuzz: count('fuzz', values.fuzz),
  log: (line) => console.error(line),
});
const previous = path.join(values.out!, 'report.json');
if (values.merge && !existsSync(previous)) {
  console.error(`--merge: no report at ${previous} to merge into`);
  process.exit(2);
}
const report = values.merge ? merge(JSON.parse(readFileSync(previous, 'utf8')) as Report, measured) : measured;
mkdirSync(values.out!, { recursive: true });
writeFileSync(path.join(values.out!, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(values.out!, 'report.md'), markdown(report));
console.error(`written: ${path.relative(process.cwd(), path.join(values.out!, 'report.md'))} and report.json (${report.seconds.total} s)`);
process.exit(0); // xsnap and MQTT.js may leave handles open; every broker and worker is already stopped
