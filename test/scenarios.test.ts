// The conformance suite: every scenario runs on Node and inside real XS (xsnap), and the
// two transcripts must be identical, line for line.
import test from 'ava';
import { loadGroups, runScenariosInXs } from './support/scenarios.ts';
import { runScenario, type ScenarioResult } from '../hosts/xs/probe.ts';
import { xsVersion } from '../tools/xsnap.ts';

const groups = await loadGroups();
const xsRun = runScenariosInXs();
// Node runs the same scenarios one after another, as XS does.
const nodeRun = (async () => {
  const results = new Map<string, ScenarioResult>();
  for (const { group, scenarios } of groups) {
    for (const [name, scenario] of Object.entries(scenarios)) {
      const key = `${group} › ${name}`;
      results.set(key, await runScenario(key, scenario));
    }
  }
  return results;
})();
xsRun.catch(() => {}); // reported by each XS test below

test.serial('xs › engine', async (t) => {
  const version = xsVersion();
  t.log(`running scenarios in ${version} (@agoric/xsnap, the real XS engine)`);
  t.regex(version, /^XS \d+\.\d+\.\d+/);
  const { preload } = await xsRun;
  // Loaded as Moddable preloads: what the freeze step froze before the first scenario (test/support/preload.ts).
  t.log(`preload freeze: ${JSON.stringify(preload)}`);
  t.true(preload !== undefined && preload.error === undefined && preload.petrified, 'the freeze ran, with petrify');
});

for (const { group, scenarios } of groups) {
  for (const name of Object.keys(scenarios)) {
    const key = `${group} › ${name}`;
    const onNode = nodeRun.then((r) => r.get(key)!);
    test(`node › ${key}`, async (t) => {
      const result = await onNode;
      t.deepEqual(result.failures, [], result.transcript.join('\n'));
      t.true(result.checks > 0, 'a scenario must check something');
    });
    test(`xs › ${key}`, async (t) => {
      const onXs = (await xsRun).get(key);
      if (!onXs) return t.fail(`scenario did not run in XS`);
      t.deepEqual(onXs.failures, [], onXs.transcript.join('\n'));
      t.deepEqual(onXs.transcript, (await onNode).transcript, 'Node and XS transcripts differ');
    });
  }
}
