// Builds firmware bundles for XS with esbuild.
//
// The same src/ + drivers/ code runs on the ESP32, on Node and inside xsnap. This
// builder is the gate that keeps it honest: a Node built-in reached from anywhere
// in a firmware bundle fails the build, naming the file that imported it.
import * as esbuild from 'esbuild';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// What stands in for the Node built-in `buffer` inside the bundle (mqtt-packet and bl import it):
// tools/shims/buffer.ts, the part of Buffer they call, written for XS (an event PUBLISH through
// the `buffer` package cost 11× a frame written by hand: see that file). The `buffer` package
// itself stays available (`bufferPackage`) so that tests and the benchmark can compare the two.
const leanBuffer = path.join(repoRoot, 'tools/shims/buffer.ts');

/** Fails the build on any Node built-in import, naming the importer. */
const noNodeBuiltins = (root: string, bufferPackage: boolean): esbuild.Plugin => ({
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const bare = args.path;
      if (bare === 'buffer') return { path: bufferPackage ? require.resolve('buffer/') : leanBuffer };
      if (!nodeBuiltins.has(bare) && !bare.startsWith('node:')) return undefined;
      const from = path.relative(root, args.importer) || args.importer;
      return { errors: [{ text: `firmware must run on XS: "${bare}" is a Node built-in (imported from ${from})` }] };
    });
  },
});

/** mqtt-packet's helpers that do not fit XS: `debug` is dropped, `bl` loses readable-stream, `events` is tools/shims/events.js. */
const xsShims: esbuild.Plugin = {
  name: 'xs-shims',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'xs-shim' }));
    build.onLoad({ filter: /^debug$/, namespace: 'xs-shim' }, () => ({
      contents: 'module.exports = () => Object.assign(() => {}, { enabled: false });',
      loader: 'js',
    }));
    build.onResolve({ filter: /^bl$/ }, () => ({ path: require.resolve('bl/BufferList.js') }));
    build.onResolve({ filter: /^events$/ }, () => ({ path: path.join(repoRoot, 'tools/shims/events.js') }));
  },
};

/**
 * Edits to library sources, made as esbuild loads them, for what the device cannot run.
 * Each names the exact text it replaces; a library update that moves that text fails the
 * build here rather than on the panel.
 */
interface DeviceEdit { file: RegExp; find: string; replace: string; why: string }
export const deviceEdits: DeviceEdit[] = [
  {
    file: /cbor-x[\\/]decode\.js$/,
    find: 'for (let i = 0; i < typedArrays.length; i++) {\n\tregisterTypedArray(typedArrays[i], typedArrayTags[i])\n}',
    replace: '',
    why: 'cbor-x registers decoders for the typed-array tags (RFC 8746) at load, reading each constructor\'s ' +
      '`name`; under Moddable\'s `strip: "*"` those names are gone and the preload throws. The panel never ' +
      'sends nor accepts typed-array tags: unregistered, they decode as plain tags, which every payload check refuses.',
  },
];

const deviceEditsPlugin: esbuild.Plugin = {
  name: 'device-edits',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      const edits = deviceEdits.filter((e) => e.file.test(args.path));
      if (edits.length === 0) return undefined;
      const { readFile } = await import('node:fs/promises');
      let contents = await readFile(args.path, 'utf8');
      for (const edit of edits) {
        if (!contents.includes(edit.find)) {
          return { errors: [{ text: `device edit no longer applies to ${path.relative(repoRoot, args.path)}: ${edit.why}` }] };
        }
        contents = contents.replace(edit.find, edit.replace);
      }
      return { contents, loader: 'js' };
    });
  },
};

export interface BundleOptions {
  /** Entry module (absolute, or relative to root). */
  entry?: string;
  /** Source text used as the entry instead of a file; imports resolve from `resolveDir`. */
  stdin?: { contents: string; resolveDir: string };
  /** Where the checked tree lives (tests point it at a copy). */
  root?: string;
  format?: 'iife' | 'esm';
  minify?: boolean;
  outfile?: string;
  /** Provide a Buffer to code that names it: mqtt-packet needs one. Default true. */
  buffer?: boolean;
  /** `buffer` is the npm package instead of tools/shims/buffer.ts (what the firmware had before; for comparisons). */
  bufferPackage?: boolean;
  /** Also return esbuild's metafile (which input contributed how many bytes). */
  metafile?: boolean;
  /**
   * Modules bundled in place of others, as manifest.json's `modules` map does on Moddable builds:
   * a bare specifier (`crypt`) or a module path from the root without extension (`src/hash`) →
   * the file (from the root) that stands in for it. The benchmark bundles the Moddable `src/hash`.
   */
  modules?: Record<string, string>;
}

export interface Bundle {
  code: string;
  bytes: number;
  metafile?: esbuild.Metafile;
}

/** Resolves the modules named in `BundleOptions.modules` to their stand-ins. */
const substitutes = (root: string, modules: Record<string, string>): esbuild.Plugin => ({
  name: 'substitutes',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const key = args.path.startsWith('.')
        ? path.relative(root, path.resolve(args.resolveDir, args.path)).replace(/\.(ts|js)$/, '').split(path.sep).join('/')
        : args.path;
      return Object.hasOwn(modules, key) ? { path: path.resolve(root, modules[key]) } : undefined;
    });
  },
});

/** One firmware bundle; throws esbuild's error (with every message) on failure. */
export async function bundle(opts: BundleOptions): Promise<Bundle> {
  const root = opts.root ?? repoRoot;
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: opts.entry ? [path.resolve(root, opts.entry)] : undefined,
    stdin: opts.stdin ? { ...opts.stdin, loader: 'ts', sourcefile: 'entry.ts' } : undefined,
    bundle: true,
    write: false,
    platform: 'neutral',
    format: opts.format ?? 'iife',
    target: 'es2022',
    mainFields: ['browser', 'module', 'main'],
    conditions: ['import', 'default'],
    resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    inject: opts.buffer === false ? [] : [path.join(repoRoot, 'tools/buffer-shim.js')],
    plugins: [...opts.modules ? [substitutes(root, opts.modules)] : [], xsShims, noNodeBuiltins(root, opts.bufferPackage ?? false), deviceEditsPlugin],
    minify: opts.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    outfile: opts.outfile,
    metafile: opts.metafile ?? false,
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: Buffer.byteLength(code), metafile: result.metafile };
}

/** The firmware bundle: everything the ESP32 runs except the Moddable host modules. */
export function firmware(root = repoRoot): Promise<Bundle> {
  return bundle({ root, entry: 'hosts/xs/firmware.ts', format: 'esm', minify: true });
}

/**
 * The npm libraries as Moddable modules: each becomes one ES module under build/moddable/,
 * named in manifest.json by the specifier firmware code imports (`cbor-x`, `mqtt-packet`),
 * with a declaration file beside it that re-exports the package's own typings (mcconfig's
 * tsc resolves the manifest name to this folder). SHA-256 and HMAC are not among them:
 * Moddable builds take them from Moddable's `crypt` (see src/hash.ts).
 */
export const moddableLibs: Record<string, { file: string; source: string; types: string; buffer?: boolean }> = {
  'cbor-x': {
    file: 'cbor-x',
    source: `export { Encoder, Decoder, Tag, decode, encode } from 'cbor-x';`,
    types: `export { Encoder, Decoder, Tag, decode, encode } from '../../node_modules/cbor-x/index';`,
    buffer: false,
  },
  'mqtt-packet': {
    file: 'mqtt-packet',
    source: `import * as m from 'mqtt-packet'; export const { parser, generate, writeToStream } = m;`,
    types: `export * from '../../node_modules/mqtt-packet/types/index';`,
    buffer: true,
  },
  // Named without `.js`: XS drops the extension of `@noble/ciphers/_poly1305.js` (hosts/moddable/src/aead.ts's
  // import) when it resolves it, and finds a module of this name; mcconfig's tsc takes the types from node_modules.
  // Poly1305 only: ChaCha20 is Moddable's native `crypt` StreamCipher.
  '@noble/ciphers/_poly1305': {
    file: 'noble-poly1305',
    source: `export { poly1305 } from '@noble/ciphers/_poly1305.js';`,
    types: `export { poly1305 } from '../../node_modules/@noble/ciphers/_poly1305.js';`,
    buffer: false,
  },
};

export async function buildModdableLibs(root = repoRoot): Promise<Record<string, number>> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = path.join(root, 'build/moddable');
  await mkdir(dir, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const [name, { file, source, types, buffer }] of Object.entries(moddableLibs)) {
    const lib = await bundle({ root, stdin: { contents: source, resolveDir: root }, format: 'esm', minify: true, buffer: buffer ?? false });
    await writeFile(path.join(dir, `${file}.js`), lib.code);
    await writeFile(path.join(dir, `${file}.d.ts`), `${types}\n`);
    sizes[name] = lib.bytes;
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const kib = (n: number) => `${n} bytes (${(n / 1024).toFixed(1)} KiB)`;
  try {
    const fw = await firmware();
    await mkdir(path.join(repoRoot, 'build'), { recursive: true });
    await writeFile(path.join(repoRoot, 'build/firmware.js'), fw.code);
    console.log(`build/firmware.js: ${kib(fw.bytes)}, minified, all firmware code and libraries`);
    for (const [name, bytes] of Object.entries(await buildModdableLibs())) {
      console.log(`build/moddable/${moddableLibs[name].file}.js (${name}): ${kib(bytes)}`);
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
