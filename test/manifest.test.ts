// manifest.json as Moddable reads it: every module it names exists, every firmware module
// is named, and both platforms (esp32 hardware, lin simulation) are complete.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, buildModdableLibs } from '../tools/build.ts';

type Modules = Record<string, string | string[]>;
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'manifest.json'), 'utf8'));
const local = (p: string) => !p.startsWith('$(');
const sources = (modules: Modules) => Object.values(modules).flat().filter(local);

function exists(source: string): boolean {
  const file = path.join(repoRoot, source);
  if (source.endsWith('/*')) return existsSync(path.dirname(file));
  return ['.ts', '.js'].some((ext) => existsSync(file + ext));
}

test.before(async () => { await buildModdableLibs(); });

test('every module path the manifest names exists', (t) => {
  const named = [manifest.modules, ...Object.values(manifest.platforms).map((p: any) => p.modules ?? {})];
  const missing = named.flatMap(sources).filter((s) => !exists(s));
  t.deepEqual(missing, []);
});

test('every firmware module is named by the manifest', (t) => {
  const patterns = sources(manifest.modules);
  const covered = (file: string) => patterns.some((p) => {
    const src = p.replace(/^\.\//, '');
    return src.endsWith('/*') ? path.dirname(file) === src.slice(0, -2) : file === src + '.ts';
  });
  const files = ['src', 'drivers', 'hosts/esp32'].filter((d) => existsSync(path.join(repoRoot, d))).flatMap((d) =>
    (readdirSync(path.join(repoRoot, d), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(d, f)));
  t.true(files.length > 0);
  t.deepEqual(files.filter((f) => !covered(f)), []);
});

test('every preloaded module is a module', (t) => {
  const names = new Set([...Object.keys(manifest.modules)]);
  t.deepEqual(manifest.preload.filter((p: string) => !names.has(p)), []);
});

test('a creation block sized for an ESP32 without PSRAM', (t) => {
  const c = manifest.creation;
  t.is(c.main, 'main');
  t.true(c.chunk.initial <= 96 * 1024, 'chunk fits the ESP32 internal RAM');
  t.true(c.heap.initial * 16 <= 96 * 1024, 'slot heap fits the ESP32 internal RAM');
  t.true(c.stack >= 256 && c.stack <= 1024);
});

test('platforms: esp32 for hardware, lin with simulated pins, nothing else', (t) => {
  t.deepEqual(Object.keys(manifest.platforms), ['esp32', 'lin', '...']);
  t.truthy(manifest.platforms.lin.modules['embedded:provider/builtin'], 'lin has no GPIO: pins are simulated');
  t.truthy(manifest.platforms['...'].error);
});

test('typescript options make the build strict', (t) => {
  t.true(manifest.typescript.tsconfig.compilerOptions.strict);
});

test('every library the firmware imports is a Moddable module of the manifest', (t) => {
  const files = ['src', 'drivers', 'hosts/esp32'].filter((d) => existsSync(path.join(repoRoot, d))).flatMap((d) =>
    (readdirSync(path.join(repoRoot, d), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts')).map((f) => path.join(repoRoot, d, f)));
  const bare = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'".][^'"]*)['"]/gm)) bare.add(m[1]);
  }
  const byPattern = (name: string) => Object.keys(manifest.modules)
    .some((k) => k.endsWith('/*') && name.startsWith(k.slice(0, -1)) && !name.slice(k.length - 1).includes('/'));
  const provided = (name: string) => name in manifest.modules || byPattern(name) || name.startsWith('embedded:') || name.startsWith('mc/') ||
    ['timer', 'file', 'flash', 'preference', 'wifi', 'net', 'dns/server', 'http', 'socket', 'securesocket', 'time', 'sntp'].includes(name);
  t.deepEqual([...bare].filter((n) => !provided(n)), []);
});
