// hosts/esp32/main.ts, bundled with esbuild with every Moddable module replaced by the
// virtual-ESP32 stand-ins (test/support/fake-moddable/virtual), then booted in a fresh
// process: inside real XS (xsnap) and on Node. One boot = one process, so a "reboot" is a
// new process powered with the flash the last one left.
import * as esbuild from 'esbuild';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../tools/build.ts';
import { saveConfig } from '../../src/app.ts';
import { StateStore } from '../../src/store/state.ts';
import type { Storage } from '../../src/store/storage.ts';
import type { PanelConfig } from '../../src/config.ts';
import { runXs } from '../../tools/xsnap.ts';
import type { WorldInputs } from '../support/fake-moddable/virtual/world.ts';

const require = createRequire(import.meta.url);
const virtual = path.join(repoRoot, 'test/support/fake-moddable/virtual');

/** Moddable module name → stand-in. */
export const standIns: Record<string, string> = {
  'mc/config': 'config.ts',
  time: 'time.ts',
  timer: 'timer.ts',
  wifi: 'wifi.ts',
  net: 'net.ts',
  sntp: 'sntp.ts',
  'dns/server': 'dns-server.ts',
  http: 'http.ts',
  file: 'file.ts',
  'embedded:provider/builtin': 'builtin.ts',
  'embedded:io/socket/tcp': 'tcp.ts',
  'embedded:io/socket/tcp/tls': 'tls.ts',
  'ssl/session': 'ssl-session.ts',
  preference: 'preference.ts',
};

const hostDirs = ['hosts/esp32', 'hosts/moddable'].map((d) => path.join(repoRoot, d) + path.sep);

const moddable = (board: string): esbuild.Plugin => ({
  name: 'moddable-stand-ins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      // The build's board, as manifest.json maps drivers/boards/current per platform.
      if (args.path.endsWith('/drivers/boards/current')) return { path: path.join(repoRoot, `drivers/boards/${board}.ts`) };
      if (hostDirs.some((d) => args.importer.startsWith(d))) {
        if (args.path in standIns) return { path: path.join(virtual, standIns[args.path]) };
        if (args.path === './portal' && args.importer === path.join(repoRoot, 'hosts/esp32/main.ts')) {
          return { path: path.join(repoRoot, 'test/esp32/portal-stand-in.ts') };
        }
      }
      if (args.path === 'debug') return { path: 'debug', namespace: 'shim' };
      if (args.path === 'bl') return { path: require.resolve('bl/BufferList.js') };
      if (args.path === 'buffer') return { path: path.join(repoRoot, 'tools/shims/buffer.ts') }; // the firmware's Buffer (tools/build.ts)
      if (args.path.startsWith('node:') || ['fs', 'net', 'tls', 'http', 'os', 'child_process'].includes(args.path)) {
        return { errors: [{ text: `"${args.path}" reached the ESP32 bundle from ${path.relative(repoRoot, args.importer)}` }] };
      }
      return undefined;
    });
    build.onLoad({ filter: /^debug$/, namespace: 'shim' }, () => ({ contents: 'module.exports = () => Object.assign(() => {}, { enabled: false });', loader: 'js' }));
  },
});

/** The bundle: the world first (it powers on from globalThis.__esp32Inputs), then main.ts, then the script. */
export async function bundleEsp32(board = 'esp32'): Promise<string> {
  const entry = [
    `import { world } from './test/support/fake-moddable/virtual/world.ts';`,
    `import './hosts/esp32/main.ts';`,
    `import { scripts } from './test/esp32/scripts.ts';`,
    `import { FlashStorage } from './hosts/moddable/flash-storage.ts';`,
    `const out = globalThis.print ?? console.log;`,
    `let result;`,
    `try { result = scripts[world.inputs.script](world, world.inputs.params ?? {}, { FlashStorage }); }`,
    `catch (err) { result = { scriptError: String(err && err.stack || err) }; }`,
    `out('@@' + JSON.stringify({ result, serial: world.serial, hardware: world.hardware, flash: world.flash() }));`,
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: repoRoot, loader: 'ts', sourcefile: 'esp32-boot.ts' },
    absWorkingDir: repoRoot,
    bundle: true, write: false, platform: 'neutral', format: 'iife', target: 'es2022',
    mainFields: ['browser', 'module', 'main'], conditions: ['import', 'default'],
    resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    inject: [path.join(repoRoot, 'tools/buffer-shim.js')],
    plugins: [moddable(board)],
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export interface Boot {
  result: any;
  serial: string[];
  hardware: string[];
  flash: Record<string, string>;
}

export type Inputs = WorldInputs & { params?: Record<string, unknown> };

function parse(stdout: string, stderr: string, engine: string): Boot {
  const line = stdout.split('\n').find((l) => l.startsWith('@@'));
  if (!line) throw new Error(`${engine}: the boot printed no report\n${stderr || stdout.slice(-3000)}`);
  return JSON.parse(line.slice(2));
}

function file(code: string, inputs: Inputs): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'esp32-boot-'));
  const f = path.join(dir, 'boot.js');
  writeFileSync(f, `globalThis.__esp32Inputs = ${JSON.stringify(inputs)};\n${code}`);
  return f;
}

/** One boot inside real XS. */
export async function bootInXs(code: string, inputs: Inputs): Promise<Boot> {
  const run = await runXs([file(code, inputs)], 60_000);
  return parse(run.stdout, run.stderr, `XS (exit ${run.code})`);
}

/** One boot on Node (a child process: a fresh realm, like a reset). */
export function bootOnNode(code: string, inputs: Inputs): Promise<Boot> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file(code, inputs)], { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      try { resolve(parse(stdout, stderr, `Node${err ? ` (${err.message})` : ''}`)); } catch (e) { reject(e); }
    });
  });
}

/** One boot on both engines; they must agree exactly. */
export async function boot(code: string, inputs: Inputs): Promise<{ xs: Boot; node: Boot }> {
  const [xs, node] = await Promise.all([bootInXs(code, inputs), bootOnNode(code, inputs)]);
  return { xs, node };
}

/** Boots on both engines and insists they agree (a script error fails loudly); the boot, as Node saw it. */
export async function bootAlike(t: { deepEqual(a: unknown, b: unknown, m?: string): void }, code: string | Promise<string>, inputs: Inputs): Promise<Boot> {
  const { xs, node } = await boot(await code, inputs);
  if (xs.result?.scriptError || node.result?.scriptError) throw new Error(`script failed:\nXS: ${xs.result?.scriptError}\nNode: ${node.result?.scriptError}`);
  t.deepEqual(xs, node, 'XS and Node boot alike');
  return node;
}

/** Flash holding `config`, as the host's FlashStorage lays it out on littlefs. */
export function flashWith(config: unknown): Record<string, string> {
  const files: Record<string, string> = {};
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const storage: Storage = {
    read: (n) => Uint8Array.from(Buffer.from(files[`/littlefs/${n}`] ?? '', 'hex')),
    append: (n, b) => { files[`/littlefs/${n}`] = (files[`/littlefs/${n}`] ?? '') + hex(b); },
    replace: (n, b) => { files[`/littlefs/${n}`] = hex(b); },
    remove: (n) => { delete files[`/littlefs/${n}`]; },
    size: (n) => (files[`/littlefs/${n}`] ?? '').length / 2,
  };
  saveConfig(new StateStore(storage), config as PanelConfig);
  return files;
}
