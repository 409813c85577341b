// manifest.json as Moddable reads it, checked without the SDK (test/moddable/ builds it for
// real when the SDK is there): every module it names exists, every firmware module is named
// and preloaded, the seams (src/hash, src/text-codec) are swapped for their Moddable files,
// and both platforms (esp32 hardware, lin simulation) are complete.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, buildModdableLibs } from '../tools/build.ts';

type Modules = Record<string, string | string[]>;
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'manifest.json'), 'utf8'));
const local = (p: string) => !p.startsWith('$(');
const boardPlatforms = { esp32: 'esp32', 'esp32/esp32s3': 'esp32s3', 'esp32/esp32c3': 'esp32c3' } as const;
const esp32Platforms = Object.keys(boardPlatforms) as Array<keyof typeof boardPlatforms>;
const platforms = [...esp32Platforms, 'lin'] as const;
/** Module name → source, for one platform, as mcconfig merges them (no "~" exclusions). */
const modulesOf = (platform: string): Modules => ({ ...manifest.modules, ...(manifest.platforms[platform].modules ?? {}) });
const preloadOf = (platform: string): string[] => [...manifest.preload, ...(manifest.platforms[platform].preload ?? [])];
const excluded: string[] = manifest.modules['~'].map((s: string) => s.replace(/^\.\//, ''));

function exists(source: string): boolean {
  const file = path.join(repoRoot, source);
  if (source.endsWith('/*')) return existsSync(path.dirname(file));
  return ['', '.ts', '.js'].some((ext) => existsSync(file + ext));
}

/** The firmware's own module names in `dir` (by file, as the manifest globs name them). */
const ownModules = (dir: string): string[] => (readdirSync(path.join(repoRoot, dir)) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${dir}/${f.slice(0, -3)}`);
const walk = (dir: string): string[] => (readdirSync(path.join(repoRoot, dir), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(dir, f));

/** The module names a platform build has of ours: glob entries expanded, exclusions and explicit names applied. */
function namesOf(platform: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, source] of Object.entries(modulesOf(platform))) {
    if (name === '~' || typeof source !== 'string' || !local(source)) continue;
    const src = source.replace(/^\.\//, '');
    if (name.endsWith('/*')) {
      for (const m of ownModules(src.slice(0, -2))) if (!excluded.includes(m)) names.set(m, `${m}.ts`);
    } else if (!src.startsWith('node_modules/')) {
      names.set(name, src);
    }
  }
  return names;
}

test.before(async () => { await buildModdableLibs(); });

test('every module path the manifest names exists', (t) => {
  const sources = platforms.flatMap((p) => Object.values(modulesOf(p)).flat().filter(local));
  t.deepEqual(sources.filter((s) => !exists(s)), []);
});

test('every firmware file is a module of the platform that runs it', (t) => {
  const sources = (platform: string) => new Set([...namesOf(platform).values()].map((s) => s.replace(/\.ts$/, '')));
  const lin = sources('lin');
  const files = (dirs: string[]) => dirs.flatMap(walk).map((f) => f.replace(/\.ts$/, ''));
  // Board files are not shared: each build carries its own board only (below).
  const shared = files(['src', 'drivers', 'hosts/moddable']).filter((f) => !excluded.includes(f) && !f.startsWith('drivers/boards/'));
  for (const platform of esp32Platforms) {
    const esp32 = sources(platform);
    t.deepEqual(shared.filter((f) => !esp32.has(f) || !lin.has(f)), [], `src, drivers and hosts/moddable are in both builds (${platform}, lin)`);
    t.deepEqual(files(['hosts/esp32']).filter((f) => !esp32.has(f)), [], platform);
  }
  t.deepEqual(files(['hosts/lin']).filter((f) => !lin.has(f)), []);
});

test('each esp32 platform builds its own board as drivers/boards/current, and nothing but that names a board file', (t) => {
  for (const [platform, id] of Object.entries(boardPlatforms)) {
    t.is(modulesOf(platform)['drivers/boards/current'], `./drivers/boards/${id}`, platform);
    t.true(preloadOf(platform).includes('drivers/boards/current'), `${platform}: the board is preloaded`);
    const names = [...namesOf(platform).entries()].filter(([, src]) => src.startsWith('drivers/boards/'));
    t.deepEqual(names, [['drivers/boards/current', `drivers/boards/${id}`]], `${platform}: one board file, under one name`);
  }
  const boardFiles = walk('drivers/boards').map((f) => path.basename(f, '.ts')).filter((f) => f !== 'current').sort();
  t.deepEqual(boardFiles, Object.values(boardPlatforms).sort(), 'every board file is a platform');
  t.true(excluded.includes('drivers/boards/current'), 'the Node seam drivers/boards/current.ts is not built');
});

test('the three esp32 platforms are one platform but for the board and its pins', (t) => {
  const strip = (platform: string) => {
    const { config, modules, ...rest } = manifest.platforms[platform];
    const { sirenPin, setupButtonPin, ...otherConfig } = config;
    const { 'drivers/boards/current': board, ...otherModules } = modules;
    return { ...rest, config: otherConfig, modules: otherModules, pins: typeof sirenPin === 'number' && typeof setupButtonPin === 'number' && typeof board === 'string' };
  };
  for (const platform of esp32Platforms) t.deepEqual(strip(platform), strip('esp32'), platform);
});

test('the seams are Moddable files there: src/hash and src/aead are crypt, src/text-codec is Moddable\'s text modules', (t) => {
  t.deepEqual(excluded.filter((m) => m.startsWith('src/')).sort(), ['src/aead', 'src/hash', 'src/text-codec']);
  t.is(manifest.modules['src/hash'], './hosts/moddable/src/hash');
  t.is(manifest.modules['src/aead'], './hosts/moddable/src/aead');
  t.is(manifest.modules['src/text-codec'], './hosts/moddable/src/text-codec');
});

test('every module of ours and every library is preloaded, but the entries', (t) => {
  for (const platform of platforms) {
    const preload = new Set(preloadOf(platform));
    const main = manifest.platforms[platform].creation.main;
    const missing = [...namesOf(platform).keys()].filter((m) => m !== main && !preload.has(m));
    t.deepEqual(missing, [], `${platform}: modules left out of preload`);
    t.false(preload.has(main), `${platform}: its main runs the hardware at load and cannot be preloaded`);
    for (const lib of ['cbor-x', 'mqtt-packet', 'hmac', '@noble/ciphers/_poly1305']) t.true(preload.has(lib), `${platform}: ${lib} preloaded`);
  }
});

test('a creation block sized for an ESP32 without PSRAM, keys as we set them', (t) => {
  const c = manifest.creation;
  t.true(c.chunk.initial <= 96 * 1024, 'chunk fits the ESP32 internal RAM');
  t.true(c.heap.initial * 16 <= 96 * 1024, 'slot heap fits the ESP32 internal RAM');
  t.true(c.stack >= 256 && c.stack <= 1024);
  t.truthy(c.keys.initial, 'keys.initial (manifest_base.json sets it; an `available` would lose to it)');
  t.is(c.keys.available, undefined);
  for (const platform of esp32Platforms) t.is(manifest.platforms[platform].creation.main, 'hosts/esp32/main');
  t.is(manifest.platforms.lin.creation.main, 'hosts/lin/main');
});

test('platforms: esp32 (and its S3 and C3) for hardware, lin with simulated pins, nothing else', (t) => {
  t.deepEqual(Object.keys(manifest.platforms), ['esp32', 'esp32/esp32s3', 'esp32/esp32c3', 'lin', '...']);
  t.truthy(manifest.platforms['...'].error);
});

test('typescript: strict, and no paths of our own (they would replace the ones mcconfig makes)', (t) => {
  const options = manifest.typescript.tsconfig.compilerOptions;
  t.true(options.strict);
  t.is(options.paths, undefined);
});

test('no module glob of ours sweeps in a JSON file (xsc would compile it as a module)', (t) => {
  const globs = platforms.flatMap((p) => Object.entries(modulesOf(p)))
    .filter(([name, s]) => name.endsWith('/*') && typeof s === 'string' && local(s)).map(([, s]) => (s as string).replace(/^\.\//, '').slice(0, -2));
  const json = globs.flatMap((dir) => (readdirSync(path.join(repoRoot, dir)) as string[]).filter((f) => f.endsWith('.json')).map((f) => `${dir}/${f}`));
  t.deepEqual(json.filter((f) => !excluded.includes(f)), []);
});

test('every library the firmware imports is a Moddable module of the manifest', (t) => {
  const files = ['src', 'drivers', 'hosts/moddable', 'hosts/esp32', 'hosts/lin'].flatMap(walk)
    .filter((f) => !excluded.includes(f.replace(/\.ts$/, '')));
  const bare = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(path.join(repoRoot, f), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'".][^'"]*)['"]/gm)) bare.add(m[1]);
  }
  // XS drops a `.js` ending when it resolves a specifier (`@noble/ciphers/_poly1305.js` finds `@noble/ciphers/_poly1305`).
  const provided = (name: string) => name in manifest.modules || name.replace(/\.js$/, '') in manifest.modules || name.startsWith('embedded:') || name.startsWith('mc/') ||
    ['timer', 'file', 'flash', 'preference', 'wifi', 'net', 'dns/server', 'http', 'socket', 'securesocket', 'time', 'sntp',
      'crypt', 'instrumentation', 'debug', 'text/encoder', 'text/decoder',
      'ssl/session', // the TLS engine: tls_419.json, through $(MODDABLE)/examples/io/tcp/tlssocket/manifest.json
    ].includes(name);
  t.deepEqual([...bare].filter((n) => !provided(n)), []);
});
