// The real Moddable toolchain, when its host tools are built ($MODDABLE, see README): mcconfig
// builds the firmware for esp32 (tsc, xsc and xsl, up to mc.xs.c: there is no ESP-IDF here)
// and for lin (mc.so, run under mcsim). Never `mcconfig -d … -p lin`: that runs `pkill mcsim`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, buildModdableLibs } from '../build.ts';

export const moddable = process.env.MODDABLE;
export const sdkBin = moddable ? path.join(moddable, 'build/bin/lin/release') : '';
/** Why the Moddable part cannot run here, or undefined when it can. */
export const unavailable: string | undefined = !moddable ? '$MODDABLE not set'
  : !existsSync(path.join(sdkBin, 'mcconfig')) ? `no mcconfig in ${sdkBin}` : undefined;

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  // mcconfig compiles our TypeScript with the tsc on PATH: the project's own.
  PATH: [path.join(repoRoot, 'node_modules/.bin'), sdkBin, process.env.PATH].join(path.delimiter),
  ...extra,
});

export interface Run { code: number; output: string }

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: env(extraEnv), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * mcconfig's esp32 build wants `IDF_PATH` to be a git checkout of ESP-IDF whose tag it can
 * read; without the toolchain only the tag matters up to mc.xs.c. An empty repository tagged
 * v6.0 stands in unless IDF_PATH is set.
 */
async function idfPath(): Promise<string> {
  if (process.env.IDF_PATH) return process.env.IDF_PATH;
  const dir = mkdtempSync(path.join(tmpdir(), 'idf-tag-'));
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {}, dir);
  await git('init', '-q');
  await git('commit', '-q', '--allow-empty', '-m', 'tag only');
  await git('tag', 'v6.0');
  return dir;
}

/** xsl's "not frozen" / "no const" warnings, by module (the first word after "warning:"). */
export function warningsByModule(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of output.matchAll(/^### warning: ([^:]+):/gm)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}

export interface Esp32Link extends Run {
  /** Bytes of the `storage` (littlefs) partition in the partition table the build uses. */
  storageBytes: number | undefined;
  /** The source file the build compiled as the module "drivers/boards/current" (repo-relative), if found. */
  boardSource: string | undefined;
  /** The numbers at the top of the build's mc/config (mc.config.js): sirenPin, setupButtonPin, httpPort… */
  config: Record<string, number> | undefined;
  /** How long mcconfig and the makefile up to mc.xs.c took, in ms. */
  ms: number;
}

/**
 * `mcconfig -m -p PLATFORM -t build` (`esp32`, `esp32/esp32s3`, `esp32/esp32c3`), then its
 * makefile up to mc.xs.c: tsc, xsc, xsl with preload. mcconfig builds a subplatform under
 * tmp/esp32/SUB/release/NAME with the ESP-IDF project xsProj-SUB (ESP32_SUBCLASS, from the
 * SDK's target manifest); the IDF tag check is the same for every target. `libs: false`
 * when the caller has built build/moddable already (links running side by side must not
 * rewrite it under each other).
 */
export async function linkEsp32(platform = 'esp32', { libs = true } = {}): Promise<Esp32Link> {
  const started = Date.now();
  if (libs) await buildModdableLibs();
  const out = mkdtempSync(path.join(tmpdir(), `mc-${platform.replace('/', '-')}-`));
  const IDF_PATH = await idfPath();
  const config = await run(path.join(sdkBin, 'mcconfig'), ['-m', '-p', platform, '-t', 'build', '-o', out], { IDF_PATH });
  const sub = platform.split('/')[1];
  const subclass = sub ?? 'esp32';
  // mcconfig names the build after the checkout's directory
  const dir = path.join(out, 'tmp/esp32', sub ?? '', 'release', path.basename(repoRoot));
  const table = path.join(dir, `xsProj-${subclass}/partitions.csv`);
  const storage = existsSync(table) ? /^storage\s*,\s*data\s*,[^,]*,[^,]*,\s*(0x[0-9a-f]+|\d+)/im.exec(readFileSync(table, 'utf8'))?.[1] : undefined;
  const storageBytes = storage === undefined ? undefined : Number(storage);
  const makefile = path.join(dir, 'makefile');
  if (!existsSync(makefile)) return { ...config, code: config.code || 1, storageBytes, boardSource: undefined, config: undefined, ms: Date.now() - started };
  // The makefile's rule for the module: `$(MODULES_DIR)/drivers/boards/current.xsb: $(TMP_DIR)/tsc/…/<repo>/drivers/boards/esp32s3.js`
  const rule = /^\$\(MODULES_DIR\)\/drivers\/boards\/current\.xsb: \S*?(drivers\/boards\/[\w-]+)\.js$/m.exec(readFileSync(makefile, 'utf8'));
  const boardSource = rule ? `${rule[1]}.ts` : undefined;
  // mc.config.js is JavaScript (trailing commas): its top-level numbers are read by line.
  const configFile = path.join(dir, 'mc.config.js');
  const mcConfig = existsSync(configFile)
    ? Object.fromEntries([...readFileSync(configFile, 'utf8').matchAll(/^\t"(\w+)": (-?\d+),?$/gm)].map((m) => [m[1], Number(m[2])]))
    : undefined;
  const sdkconfig = path.join(dir, `xsProj-${subclass}/build/config/sdkconfig.h`);
  const make = await run('make', ['-j2', '-C', dir, '-f', 'makefile', '-o', sdkconfig, path.join(dir, 'mc.xs.c')], { IDF_PATH });
  return { code: make.code, output: config.output + make.output, storageBytes, boardSource, config: mcConfig, ms: Date.now() - started };
}

/**
 * `mcconfig -m -i -p lin` (no -d): an instrumented release build of mc.so for mcsim (-i turns
 * on Moddable's Instrumentation, which the control link's `mem` reads).
 */
export async function buildLin(): Promise<Run & { so: string }> {
  await buildModdableLibs();
  const out = mkdtempSync(path.join(tmpdir(), 'mc-lin-'));
  mkdirSync(out, { recursive: true });
  const result = await run(path.join(sdkBin, 'mcconfig'), ['-m', '-i', '-p', 'lin', '-o', out]);
  // mcconfig names the build after the project's directory (`main` in one checkout, a worktree's or clone's own name elsewhere).
  return { ...result, so: path.join(out, 'bin/lin/mc/instrument', path.basename(repoRoot), 'mc.so') };
}
