// Writes every scenario's Node transcript, one file per scenario, into a directory: a refactor
// that must not change behaviour is checked with `diff -r before/ after/` (the XS run is held to
// the Node transcript by test/scenarios.test.ts).
//   node --import tsx tools/transcripts.ts DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadGroups } from '../test/support/scenarios.ts';
import { runScenario } from '../hosts/xs/probe.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: node --import tsx tools/transcripts.ts DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
let count = 0;
for (const { group, scenarios } of await loadGroups()) {
  for (const [name, scenario] of Object.entries(scenarios)) {
    const key = `${group} › ${name}`;
    const result = await runScenario(key, scenario);
    const file = `${group}--${name}`.replace(/[^A-Za-z0-9._-]+/g, '_') + '.txt';
    writeFileSync(path.join(out, file), [...result.transcript, ...result.failures.map((f) => `FAILED: ${f}`)].join('\n') + '\n');
    count++;
  }
}
console.log(`${count} transcripts in ${out}`);
