// The firmware bundle: it builds, it is small, and it cannot reach Node.
import test from 'ava';
import { cpSync, existsSync, mkdtempSync, appendFileSync, writeFileSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firmware, repoRoot, buildModdableLibs, moddableLibs } from '../tools/build.ts';

/** A copy of the firmware tree, to break on purpose without touching the real one. */
function copyTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-'));
  for (const part of ['src', 'drivers', 'hosts/xs', 'tools', 'package.json']) {
    if (!existsSync(path.join(repoRoot, part))) continue;
    cpSync(path.join(repoRoot, part), path.join(dir, part), { recursive: true });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test('the firmware bundle builds and reports its size', async (t) => {
  const fw = await firmware();
  t.log(`firmware bundle: ${fw.bytes} bytes minified`);
  t.true(fw.bytes > 10_000, 'it holds the libraries');
  t.notRegex(fw.code, /require\(["'](fs|net|tls|node:)/);
});

test('importing fs from src/ fails the build, naming the importer', async (t) => {
  const dir = copyTree();
  appendFileSync(path.join(dir, 'src/uplink/cbor.ts'), '\nimport fs from "fs";\nexport const probe = fs;\n');
  const err = await t.throwsAsync(firmware(dir));
  t.regex(err!.message, /"fs" is a Node built-in \(imported from src\/uplink\/cbor\.ts\)/);
});

test('a node: import anywhere in firmware fails the build', async (t) => {
  const dir = copyTree();
  writeFileSync(path.join(dir, 'src/uplink/leak.ts'), 'import { Socket } from "node:net";\nexport const s = Socket;\n');
  appendFileSync(path.join(dir, 'src/uplink/cbor.ts'), '\nexport { s } from "./leak";\n');
  const err = await t.throwsAsync(firmware(dir));
  t.regex(err!.message, /"node:net" is a Node built-in \(imported from src\/uplink\/leak\.ts\)/);
});

test('the libraries build as Moddable modules', async (t) => {
  const sizes = await buildModdableLibs();
  t.deepEqual(Object.keys(sizes), Object.keys(moddableLibs));
  for (const [name, bytes] of Object.entries(sizes)) t.log(`${name}: ${bytes} bytes`);
});

// hosts/lin is left out: the simulator reads its machine's wall clock (Date.now) on purpose.
const firmwareDirs = ['src', 'drivers', 'hosts/moddable', 'hosts/esp32', 'hosts/xs'];
function firmwareFiles(): string[] {
  return firmwareDirs.filter((d) => existsSync(path.join(repoRoot, d))).flatMap((d) => (readdirSync(path.join(repoRoot, d), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(d, f)));
}

test('firmware code names no Buffer, process or host timer', (t) => {
  const offenders = firmwareFiles().flatMap((f) => readFileSync(path.join(repoRoot, f), 'utf8').split('\n')
    .map((line, i) => ({ line: line.replace(/\/\/.*$/, ''), at: `${f}:${i + 1}` }))
    .filter(({ line }) => /\bBuffer\b|\bprocess\.|\bsetTimeout\(|\bsetInterval\(|\bDate\.now\(/.test(line))
    .map(({ at }) => at));
  t.deepEqual(offenders, []);
});
