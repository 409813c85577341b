// Issue 14, item 4: kinds of input and zone types are named in their tables only. This bundles
// test/support/table-probe.ts twice — once as the code is, once with the drivers' table given
// a `glass` kind (test/support/glass-component.ts) and the core's table a `perimeter_away`
// type, edited in as esbuild loads the two table files — and checks that everything the
// panel does with a kind or a type follows the table: the pin config's schema, the ESP32
// rules, the config check, the portal, the simulator's wiring, the drivers, HA discovery;
// zone settings and arming. Code that named door/motion or a type by hand again would miss
// the extra line, and the extended run would fail.
import test from 'ava';
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../tools/build.ts';

type Probe = typeof import('./support/table-probe.ts');

const edits: Record<string, { from: RegExp; to: string }[]> = {
  'drivers/components.ts': [
    { from: /^/, to: `import { glass } from ${JSON.stringify(path.join(repoRoot, 'test/support/glass-component.ts'))};\n` },
    { from: /inputs: Object\.freeze\(\[door, pir\] as const\)/, to: 'inputs: Object.freeze([door, pir, glass] as const)' },
  ],
  'src/core/zone-types.ts': [
    { from: /(\n  panic: rules\([^\n]*\n)\}\);/, to: "$1  perimeter_away: rules({ ...intrusion, chime: true, defaultModes: Object.freeze(['armed_away'] as const) }),\n});" },
  ],
};

/**
 * Each variant bundled once per process: the tests of this file run at once, and two builds
 * writing the same file while the other imports it gave a module cut short (no exports).
 */
const loaded = new Map<boolean, Promise<Probe>>();
function load(extended: boolean): Promise<Probe> {
  let probe = loaded.get(extended);
  if (!probe) loaded.set(extended, (probe = build(extended)));
  return probe;
}

async function build(extended: boolean): Promise<Probe> {
  const dir = path.join(repoRoot, '.tmp', 'tables');
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, `${extended ? 'extended' : 'as-is'}-${process.pid}.mjs`);
  const plugin: esbuild.Plugin = {
    name: 'extend-tables',
    setup(build) {
      build.onLoad({ filter: /[\\/](drivers[\\/]components|src[\\/]core[\\/]zone-types)\.ts$/ }, (args) => {
        const file = path.relative(repoRoot, args.path).split(path.sep).join('/');
        let source = readFileSync(args.path, 'utf8');
        for (const edit of extended ? edits[file] ?? [] : []) {
          const next = source.replace(edit.from, edit.to);
          if (next === source) return { errors: [{ text: `the edit ${edit.from} no longer applies to ${file}` }] };
          source = next;
        }
        return { contents: source, loader: 'ts' };
      });
    },
  };
  await esbuild.build({
    absWorkingDir: repoRoot, entryPoints: [path.join(repoRoot, 'test/support/table-probe.ts')], outfile,
    bundle: true, platform: 'node', format: 'esm', target: 'es2022', packages: 'external', plugins: [plugin], logLevel: 'silent',
  });
  return import(pathToFileURL(outfile).href);
}

test('a kind of input named only in the drivers\' table is in the schema, the ESP32 rules, the portal, the simulator, the drivers and HA discovery', async (t) => {
  const asIs = (await load(false)).inputKind();
  t.deepEqual(asIs.pinProblems, ['unknown pin config entry "glass"'], 'control: without the table line, glass is unknown');
  t.true((asIs.configErrors as string[]).length > 0, 'control: and the config is refused');

  const r = (await load(true)).inputKind();
  t.deepEqual(r.pinProblems, [], 'the schema takes pins.glass');
  t.deepEqual(r.badEntry, ['glass[0].pin must be a GPIO number'], 'and checks each entry with the kind\'s own problems, naming it');
  t.deepEqual(r.esp32, ['glass[0].pin: GPIO 12 is a strapping pin'], 'the ESP32 pin rules apply to it');
  t.is(r.errorField, 'pins.glass[0].pin', 'the portal marks the field its error names');
  t.deepEqual(r.configErrors, [], 'zone 3 counts as wired');
  t.deepEqual(r.portalKinds, ['door', 'motion', 'glass'], 'the portal offers it');
  t.is(r.wiredClosed, 0, 'the simulator wires its pin closed');
  t.deepEqual(r.zone3, [false, true], 'its driver was opened: the zone opens with the pin');
  t.deepEqual(r.deviceClasses, ['door', 'motion', 'vibration'], 'HA discovery takes its device class from the table');
});

test('a zone type named only in the core\'s table is validated, listed and armed by its attributes', async (t) => {
  const asIs = (await load(false)).zoneType();
  t.regex((asIs.errors as string[])[0], /^zones\[0\]\.type: must be one of delayed, follower, instant, 24h, panic \(got "perimeter_away"\)$/, 'control: unknown without the table line');

  const r = (await load(true)).zoneType();
  t.deepEqual(r.errors, []);
  t.deepEqual(r.modes, ['armed_away'], 'its default modes');
  t.is(r.chimeError, 'only delayed, instant and perimeter_away zones chime', 'messages list the types from the table');
  t.true(r.home, 'open, it does not block arming home (not watched there)');
  t.deepEqual(r.away, [1], 'open, it blocks arming away');
});
