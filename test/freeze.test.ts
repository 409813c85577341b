// The XS scenario run loads like Moddable's preload (test/support/preload.ts, hosts/xs/preload.ts):
// these attacks are the mistakes mcsim caught in the libraries under the real preload. Each must
// fail with the device's message under the freeze, and pass in the same program unfrozen.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preloadProgram, runPreloaded } from './support/preload.ts';

/** Runs `mod` (a module exporting `run`) after its load phase; returns what `run()` returned or threw. */
async function runModule(mod: string, freeze: boolean): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'freeze-'));
  writeFileSync(path.join(dir, 'case.js'), mod);
  const entry = `import { run } from './case.js';\ntry { print('@@ ok ' + run()); } catch (e) { print('@@ threw ' + e.message); }\n`;
  const result = await runPreloaded(await preloadProgram({ contents: entry, resolveDir: dir }, { freeze }));
  const line = result.stdout.split('\n').find((l) => l.startsWith('@@ '));
  if (!line) throw new Error(`no result (exit ${result.code}): ${result.stderr}${result.stdout}`);
  return line.slice(3);
}

const attacks: Array<{ name: string; mod: string; message: string }> = [
  {
    name: 'a RegExp made at load, used at run time (XS crashed in RegExp.prototype.exec under mcsim)',
    mod: `const validName = /^[a-z]+$/;
export function run() { return String(validName.test('config')); }`,
    message: 'a RegExp made at load is used at run time',
  },
  {
    name: 'a default on a prototype, then assigned on an instance at run time (events: "set _events")',
    mod: `class Emitter { on() { this._events = {}; return 'on'; } }
Emitter.prototype._events = undefined;
export function run() { return new Emitter().on(); }`,
    message: 'set _events: not writable',
  },
  {
    name: 'an own toString assigned at run time over the frozen Object.prototype',
    mod: `export function run() { const o = {}; o.toString = () => 'mine'; return o.toString(); }`,
    message: 'set toString: not writable',
  },
  {
    name: 'a method of a class replaced at run time',
    mod: `export class Packet { toString() { return 'packet'; } }
export function run() { Packet.prototype.toString = () => 'patched'; return String(new Packet()); }`,
    message: 'set toString: not writable',
  },
  {
    name: 'a property added to a function at run time',
    mod: `export function counter() { return 0; }
export function run() { counter.calls = 1; return counter.calls; }`,
    message: 'set calls: not extensible',
  },
  {
    name: 'a Map made at load, written at run time',
    mod: `const cache = new Map();
export function run() { cache.set('k', 1); return cache.size; }`,
    message: 'this: read-only Map instance',
  },
  {
    name: 'a Set made at load that only a closure holds, written at run time',
    mod: `export const run = (() => { const seen = new Set(); return () => seen.add(1).size; })();`,
    message: 'this: read-only Set instance',
  },
  {
    name: 'a buffer made at load, filled at run time (SHA-256\'s scratch)',
    mod: `const W = new Uint32Array(64);
export function run() { W.fill(7); return W[0]; }`,
    message: 'read-only buffer',
  },
  {
    name: 'a buffer made at load, written element by element at run time',
    mod: `const W = new Uint32Array(64);
export function run() { for (let i = 0; i < 64; i++) W[i] = i; return W[63]; }`,
    message: 'read-only buffer',
  },
  {
    name: 'a view made at run time over a buffer made at load',
    mod: `const table = new ArrayBuffer(16);
export function run() { new DataView(table).setUint8(0, 1); return 1; }`,
    message: 'read-only buffer',
  },
  {
    name: 'a global RegExp made at load, run through String.prototype.replace',
    mod: `const spaces = /\\s+/g;
export function run() { return 'a b'.replace(spaces, '_'); }`,
    message: 'a RegExp made at load is used at run time',
  },
];

for (const { name, mod, message } of attacks) {
  test(`preload freeze catches ${name}`, async (t) => {
    const [frozen, unfrozen] = await Promise.all([runModule(mod, true), runModule(mod, false)]);
    t.true(unfrozen.startsWith('ok '), `unfrozen: ${unfrozen}`);
    t.true(frozen.startsWith('threw ') && frozen.includes(message), `frozen: ${frozen}`);
  });
}

test('the npm `events` package, which tools/shims/events.js replaces, fails under the freeze as under mcsim', async (t) => {
  const events = createRequire(import.meta.url).resolve('events/events.js');
  const mod = `import { EventEmitter } from ${JSON.stringify(events)};
export function run() { const e = new EventEmitter(); e.on('packet', () => {}); return e.listenerCount('packet'); }`;
  t.is(await runModule(mod, false), 'ok 1');
  t.is(await runModule(mod, true), 'threw set _events: not writable');
});

test('what run time makes stays writable: a Map, a buffer, an instance field', async (t) => {
  const mod = `class Emitter { constructor() { this.events = {}; } }
export function run() {
  const m = new Map([[1, 2]]); m.set(3, 4);
  const b = new Uint8Array(4); b.fill(1); b.set([2], 0);
  const e = new Emitter(); e.events = { a: 1 };
  return m.size + b[0] + b[1] + e.events.a;
}`;
  t.is(await runModule(mod, true), 'ok 6');
});
