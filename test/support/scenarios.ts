// Loads the shared scenario files and runs them on Node or, bundled, inside real XS.
import { readdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle, repoRoot } from '../../tools/build.ts';
import { runXs } from '../../tools/xsnap.ts';
import type { ScenarioGroup, ScenarioResult } from '../../hosts/xs/probe.ts';

const dir = path.join(repoRoot, 'test/scenarios');
export const scenarioFiles = readdirSync(dir).filter((f) => f.endsWith('.scenario.ts')).sort();

export async function loadGroups(files = scenarioFiles): Promise<ScenarioGroup[]> {
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(path.join(dir, f)).href)));
  return mods.map((m) => m.default as ScenarioGroup);
}

/** Bundles the scenarios with the probe runner and runs them all in one XS realm. */
export async function runScenariosInXs(files = scenarioFiles): Promise<Map<string, ScenarioResult>> {
  const entry = [
    `import { runAll } from '../../hosts/xs/probe.ts';`,
    ...files.map((f, i) => `import g${i} from './${f}';`),
    `runAll([${files.map((_, i) => `g${i}`).join(', ')}], (line) => print('@@ ' + line));`,
  ].join('\n');
  const { code } = await bundle({ stdin: { contents: entry, resolveDir: dir } });
  const out = mkdtempSync(path.join(tmpdir(), 'xs-scenarios-'));
  const file = path.join(out, 'scenarios.js');
  writeFileSync(file, code);
  const run = await runXs([file]);
  const results = new Map<string, ScenarioResult>();
  let done = false;
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('@@ ')) continue;
    const parsed = JSON.parse(line.slice(3));
    if (parsed.done) done = true;
    else results.set(parsed.name, parsed);
  }
  if (!done) throw new Error(`XS run ended early (exit ${run.code}): ${run.stderr || run.stdout.slice(-2000)}`);
  return results;
}
