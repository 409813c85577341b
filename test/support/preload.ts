// A program for xsnap that loads like Moddable's preload: every module body runs first (the load
// phase), then hosts/xs/preload.ts freezes what xsl freezes, then the entry's own code runs.
//
// The bundle is esbuild's ESM output, run as a module (`xsnap -m`): strict code, as every module is
// on Moddable, so a write to a frozen property throws instead of failing in silence. esbuild hoists
// the top-level declarations of every ESM module into the one module scope; the freeze step is a
// function appended there, so it can hand all of them to the walk.
import { parse } from 'acorn';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Metafile } from 'esbuild';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundle, repoRoot } from '../../tools/build.ts';
import { ensureXsnapPreload, runXs, type XsRun } from '../../tools/xsnap.ts';

/** The line the freeze step prints: what it froze and how long it took inside XS. */
export const preloadLine = '@@preload ';
export interface PreloadReport { functions: number; prototypes: number; collections: number; buffers: number; regexps: number; exempt: number; petrified: boolean; ms: number; error?: string }

type Node = { type: string; [key: string]: any };

function patternNames(p: Node, out: string[]): void {
  switch (p.type) {
    case 'Identifier': out.push(p.name); break;
    case 'ObjectPattern': for (const prop of p.properties) patternNames(prop.type === 'RestElement' ? prop.argument : prop.value, out); break;
    case 'ArrayPattern': for (const el of p.elements) if (el) patternNames(el, out); break;
    case 'RestElement': patternNames(p.argument, out); break;
    case 'AssignmentPattern': patternNames(p.left, out); break;
  }
}

interface Bindings { names: string[]; loaders: string[] }

/**
 * Every top-level binding of an ESM bundle, and esbuild's lazy module initialisers among them,
 * split by whether `isStandIn(module)` (esbuild marks where each module starts with a
 * `// path` comment at the start of a line).
 */
export function topLevelBindings(code: string, isStandIn: (module: string) => boolean = () => false): { own: Bindings; standIns: Bindings } {
  const markers: Array<{ at: number; module: string }> = [];
  const program = parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    onComment: (block, text, start) => {
      if (!block && (start === 0 || code[start - 1] === '\n') && /^ \S+\.(ts|js|mjs|cjs|json)$/.test(text)) markers.push({ at: start, module: text.trim() });
    },
  }) as unknown as Node;
  const own: Bindings = { names: [], loaders: [] };
  const standIns: Bindings = { names: [], loaders: [] };
  let m = -1;
  for (let stmt of program.body as Node[]) {
    while (m + 1 < markers.length && markers[m + 1].at < stmt.start) m++;
    const into = m >= 0 && isStandIn(markers[m].module) ? standIns : own;
    if (stmt.type === 'ExportNamedDeclaration' && stmt.declaration) stmt = stmt.declaration;
    if ((stmt.type === 'FunctionDeclaration' || stmt.type === 'ClassDeclaration') && stmt.id) into.names.push(stmt.id.name);
    if (stmt.type !== 'VariableDeclaration') continue;
    for (const d of stmt.declarations as Node[]) {
      patternNames(d.id, into.names);
      const callee = d.init?.type === 'CallExpression' ? d.init.callee : undefined;
      if (d.id.type === 'Identifier' && callee?.type === 'Identifier' && (callee.name === '__commonJS' || callee.name === '__esm')) into.loaders.push(d.id.name);
    }
  }
  return { own, standIns };
}

/**
 * The modules of this bundle that a Moddable build does not have: those manifest.json maps to
 * another file (`src/hash` is Moddable's native `crypt` there), and whatever only they import
 * (@noble/hashes). Their functions are frozen too, but what they make at load is not in flash.
 */
export function standInModules(metafile: Metafile, root = repoRoot): Set<string> {
  const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { modules: Record<string, unknown> };
  const replaced = new Set(Object.entries(manifest.modules)
    .filter(([name, file]) => !name.includes('*') && typeof file === 'string' && file !== `./${name}` && existsSync(path.join(root, `${name}.ts`)))
    .map(([name]) => `${name}.ts`));
  const device = new Set<string>();
  // From the inputs nothing imports: the entry and the injected shim.
  const imported = new Set(Object.values(metafile.inputs).flatMap((input) => input.imports.map((imp) => imp.path)));
  const todo = Object.keys(metafile.inputs).filter((p) => !imported.has(p));
  while (todo.length > 0) {
    const at = todo.pop()!;
    if (device.has(at) || replaced.has(at)) continue;
    device.add(at);
    for (const imp of metafile.inputs[at]?.imports ?? []) todo.push(imp.path);
  }
  return new Set(Object.keys(metafile.inputs).filter((p) => !device.has(p)));
}

export interface PreloadOptions {
  /** Freeze after the load phase (default true); false runs the same program unfrozen. */
  freeze?: boolean;
}

/**
 * Bundles `entry` (module text that imports what it needs and declares nothing) into one program.
 * The freeze runs after every imported module body and before the entry's first statement.
 */
export async function preloadProgram(entry: { contents: string; resolveDir: string }, opts: PreloadOptions = {}): Promise<string> {
  const freeze = opts.freeze ?? true;
  const main = await bundle({ stdin: { contents: `__preloadDone();\n${entry.contents}`, resolveDir: entry.resolveDir }, format: 'esm', metafile: true });
  if (!freeze) return `${main.code}\nfunction __preloadDone() {}\n`;
  const prologue = await bundle({
    stdin: {
      contents: `import { beginLoad, freezeLoaded } from './hosts/xs/preload.ts';\nglobalThis.__xsPreload = freezeLoaded;\nbeginLoad();\n`,
      resolveDir: repoRoot,
    },
    format: 'iife',
    buffer: false,
  });
  const standIns = standInModules(main.metafile!);
  const { own, standIns: alien } = topLevelBindings(main.code, (module) => standIns.has(module));
  // Its own names start with __preload: the thunk must see the bundle's bindings, not shadows.
  const epilogue = [
    'function __preloadDone() {',
    '  const __preloadFreeze = globalThis.__xsPreload;',
    '  delete globalThis.__xsPreload;',
    '  const __preloadStart = performance.now();',
    '  try {',
    `    const __preloadCount = __preloadFreeze(() => [${own.names.join(', ')}], [${own.loaders.join(', ')}],`,
    `      () => [${alien.names.join(', ')}], [${alien.loaders.join(', ')}]);`,
    `    print(${JSON.stringify(preloadLine)} + JSON.stringify({ ...__preloadCount, ms: performance.now() - __preloadStart }));`,
    '  } catch (__preloadError) {',
    // xsnap -m drops a module's uncaught exception without a word: say it, then stop.
    `    print(${JSON.stringify(preloadLine)} + JSON.stringify({ error: String(__preloadError?.stack ?? __preloadError) }));`,
    '    throw __preloadError;',
    '  }',
    '}',
  ].join('\n');
  return `${prologue.code}\n${main.code}\n${epilogue}\n`;
}

/** Writes the program to a temporary file and runs it as a module in xsnap (the build with `petrify`). */
export async function runPreloaded(program: string, timeoutMs?: number): Promise<XsRun & { preload?: PreloadReport }> {
  const out = mkdtempSync(path.join(tmpdir(), 'xs-preload-'));
  const file = path.join(out, 'program.js');
  writeFileSync(file, program);
  const run = await runXs(['-m', file], timeoutMs, ensureXsnapPreload());
  const line = run.stdout.split('\n').find((l) => l.startsWith(preloadLine));
  return { ...run, preload: line ? JSON.parse(line.slice(preloadLine.length)) : undefined };
}
