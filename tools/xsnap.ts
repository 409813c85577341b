// The real XS engine, from @agoric/xsnap: builds its command-line `xsnap` (the package only
// builds the worker) and runs scripts in it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** "XS 13.3.0": the engine version the binary reports. */
export function xsVersion(): string {
  return execFileSync(ensureXsnap(), ['-v']).toString().trim();
}

export interface XsRun { code: number | null; stdout: string; stderr: string }

/** Runs script files in one XS realm; kills it after `timeoutMs`. */
export function runXs(files: string[], timeoutMs = 120_000): Promise<XsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(ensureXsnap(), files, { stdio: ['ignore', 'pipe', 'pipe'] });
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

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`${xsVersion()} at ${path.relative(repoRoot, ensureXsnap())}`);
