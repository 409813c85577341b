// Loads the shared scenario files and runs them on Node or, bundled, inside real XS.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../tools/build.ts';
import { preloadProgram, runPreloaded, type PreloadOptions, type PreloadReport } from './preload.ts';
import type { ScenarioGroup, ScenarioResult } from '../../hosts/xs/probe.ts';

const dir = path.join(repoRoot, 'test/scenarios');
export const scenarioFiles = readdirSync(dir).filter((f) => f.endsWith('.scenario.ts')).sort();

export async function loadGroups(files = scenarioFiles): Promise<ScenarioGroup[]> {
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(path.join(dir, f)).href)));
  return mods.map((m) => m.default as ScenarioGroup);
}

export interface XsScenarios extends Map<string, ScenarioResult> {
  /** What the freeze step froze, and its time inside XS. */
  preload?: PreloadReport;
}

/**
 * Bundles the scenarios with the probe runner and runs them all in one XS realm, loaded as
 * Moddable preloads: every module body first, then the freeze (test/support/preload.ts), then the
 * scenarios. `freeze: false` runs the same program unfrozen (to measure what the freeze costs).
 */
export async function runScenariosInXs(files = scenarioFiles, opts: PreloadOptions = {}): Promise<XsScenarios> {
  const entry = [
    `import { runAll } from '../../hosts/xs/probe.ts';`,
    ...files.map((f, i) => `import g${i} from './${f}';`),
    `runAll([${files.map((_, i) => `g${i}`).join(', ')}], (line) => print('@@ ' + line));`,
  ].join('\n');
  const run = await runPreloaded(await preloadProgram({ contents: entry, resolveDir: dir }, opts));
  const results: XsScenarios = new Map<string, ScenarioResult>();
  results.preload = run.preload;
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
