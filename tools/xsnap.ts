// The real XS engine, from @agoric/xsnap: builds its command-line `xsnap` (the package only
// builds the worker) and runs scripts in it.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { repoRoot } from './build.ts';

const pkg = path.join(repoRoot, 'node_modules/@agoric/xsnap');
const buildDir = path.join(pkg, 'xsnap-native/xsnap/build');
export const xsnapBin = path.join(buildDir, 'bin/lin/release/xsnap');

export function ensureXsnap(): string {
  if (!existsSync(xsnapBin)) {
    execFileSync('make', [
      '-C', path.join(pkg, 'xsnap-native/xsnap/makefiles/lin'), '-f', 'xsnap.mk', 'GOAL=release',
      `MODDABLE=${path.join(pkg, 'moddable')}`, `BUILD_DIR=${buildDir}`, '-j2',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return xsnapBin;
}

/**
 * The same engine with one more global, `petrify`: XS's own (xsLockdown.c), which sets on an
 * ArrayBuffer the flag xsl sets on every buffer it puts in flash, so that any write to it, an
 * element assignment included, throws "read-only buffer" as on the device. xsnap's CLI has the
 * line that defines it commented out; this build copies xsnap.c with that line restored, reuses
 * the objects of the plain build, and compiles and links only that file.
 */
export const xsnapPreloadBin = path.join(repoRoot, 'build/xsnap-preload/bin/lin/release/xsnap');
const petrifyLine = '// \txsResult = xsNewHostFunction(fx_petrify, 1);\n// \txsDefine(xsGlobal, xsID("petrify"), xsResult, xsDontEnum);';

export function ensureXsnapPreload(): string {
  if (existsSync(xsnapPreloadBin)) return xsnapPreloadBin;
  ensureXsnap();
  // Built aside, then renamed into place: ava's test files may ask for it at the same time.
  const final = path.join(repoRoot, 'build/xsnap-preload');
  const root = `${final}.${process.pid}`;
  rmSync(root, { recursive: true, force: true });
  const sources = path.join(root, 'sources');
  const objects = path.join(root, 'tmp/lin/release/xsnap');
  mkdirSync(sources, { recursive: true });
  mkdirSync(objects, { recursive: true });
  const from = path.join(pkg, 'xsnap-native/xsnap/sources');
  for (const f of ['xsnap.h', 'xsnapPlatform.h', 'xsnapPlatform.c']) copyFileSync(path.join(from, f), path.join(sources, f));
  // Copied after the headers, so make finds them newer and keeps them (and compiles what is missing).
  const built = path.join(buildDir, 'tmp/lin/release/xsnap');
  for (const f of existsSync(built) ? readdirSync(built) : []) if (f.endsWith('.o') && f !== 'xsnap.o') copyFileSync(path.join(built, f), path.join(objects, f));
  const main = readFileSync(path.join(from, 'xsnap.c'), 'utf8');
  if (!main.includes(petrifyLine)) throw new Error('xsnap.c no longer has the petrify line this build restores');
  writeFileSync(path.join(sources, 'xsnap.c'), main.replace(petrifyLine, petrifyLine.replaceAll('// ', '')));
  execFileSync('make', [
    '-C', path.join(pkg, 'xsnap-native/xsnap/makefiles/lin'), '-f', 'xsnap.mk', 'GOAL=release',
    `MODDABLE=${path.join(pkg, 'moddable')}`, `BUILD_DIR=${root}`, `TLS_DIR=${sources}`, '-j2',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    renameSync(root, final);
  } catch (err) {
    if (!existsSync(xsnapPreloadBin)) throw err;
    rmSync(root, { recursive: true, force: true }); // another process finished first
  }
  return xsnapPreloadBin;
}

/** "XS 13.3.0": the engine version the binary reports. */
export function xsVersion(): string {
  return execFileSync(ensureXsnap(), ['-v']).toString().trim();
}

export interface XsRun { code: number | null; stdout: string; stderr: string }

/** Runs script files in one XS realm; kills it after `timeoutMs`. */
export function runXs(files: string[], timeoutMs = 120_000, bin = ensureXsnap()): Promise<XsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, files, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Decode across chunks: a character split between two reads must not become U+FFFD.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`${xsVersion()} at ${path.relative(repoRoot, ensureXsnap())}`);
  console.log(`with petrify (the preload tests) at ${path.relative(repoRoot, ensureXsnapPreload())}`);
}
