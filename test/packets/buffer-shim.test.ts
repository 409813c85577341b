// tools/shims/buffer.ts stands in for the `buffer` package inside firmware bundles. Two things
// make that safe: mqtt-packet and bl call no Buffer method the shim lacks (recorded here on
// Node's own Buffer over a corpus of packets, generated and parsed), and on each method they
// call the shim answers as the package does (fast-check, values and errors).
import test from 'ava';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import mqtt from 'mqtt-packet';
import { Buffer as Lean } from '../../tools/shims/buffer.ts';
import { corpus, withBuffers } from './corpus.ts';

const require = createRequire(import.meta.url);
const Pkg = (require('buffer/') as typeof import('buffer')).Buffer; // the npm package, not Node's built-in

const leanStatics = ['from', 'alloc', 'allocUnsafe', 'isBuffer', 'byteLength', 'concat'];
const leanMethods = ['write', 'toString', 'copy', 'slice', 'readUInt8', 'readUInt16BE', 'readUInt32BE', 'writeUInt8', 'writeUInt16BE', 'writeUInt32BE'];
/** Uint8Array's own, which the shim inherits (a subarray of a Buffer is a Buffer: the test of slice checks it). */
const inherited = ['subarray'];

test('the shim has every Buffer method mqtt-packet and bl call on the corpus, generating and parsing', (t) => {
  const called = new Set<string>();
  const undo: Array<() => void> = [];
  let depth = 0; // only calls from the libraries: Node's Buffer calls its own methods inside
  const spy = (owner: Record<string, unknown>, name: string, label: string) => {
    const original = owner[name] as (...a: unknown[]) => unknown;
    owner[name] = function (this: unknown, ...args: unknown[]) {
      if (depth === 0) called.add(label);
      depth++;
      try { return original.apply(this, args); } finally { depth--; }
    };
    undo.push(() => { owner[name] = original; });
  };
  const B = Buffer as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Buffer)) {
    if (typeof B[name] === 'function' && !['length', 'name', 'prototype'].includes(name)) spy(B, name, `Buffer.${name}`);
  }
  const P = Buffer.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Buffer.prototype)) {
    if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(Buffer.prototype, name)?.value === 'function') spy(P, name, `#${name}`);
  }
  try {
    mqtt.writeToStream.cacheNumbers = false;
    for (const { packet, version } of corpus) {
      const bytes = mqtt.generate(withBuffers(packet, (b) => Buffer.from(b)) as never, { protocolVersion: version });
      for (const pieces of [[bytes], Array.from(bytes, (b) => Buffer.from([b]))]) {
        const parser = mqtt.parser({ protocolVersion: version });
        let parsed = 0;
        parser.on('packet', () => { parsed++; });
        parser.on('error', (e: Error) => { throw e; });
        for (const piece of pieces) parser.parse(piece);
        if (parsed !== 1) throw new Error(`${packet.cmd}: parsed ${parsed}`);
      }
    }
  } finally {
    for (const u of undo.reverse()) u();
  }
  const have = new Set([...leanStatics.map((n) => `Buffer.${n}`), ...[...leanMethods, ...inherited].map((n) => `#${n}`)]);
  const missing = [...called].filter((c) => !have.has(c));
  t.deepEqual(missing, [], `called: ${[...called].sort().join(', ')}`);
  t.true(called.has('Buffer.from') && called.has('#readUInt8')); // the spy saw the libraries at work
  for (const n of leanStatics) t.is(typeof (Lean as unknown as Record<string, unknown>)[n], 'function', n);
  for (const n of leanMethods) t.true(Object.hasOwn(Lean.prototype, n), n);
});

// Strings with lone surrogates, pairs, every UTF-8 width.
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength: 40 })
    .map((units) => String.fromCharCode(...units)),
);
const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 64 }), text.map((s) => new Uint8Array(Pkg.from(s))));
const int = fc.oneof(fc.integer({ min: -3, max: 70 }), fc.constant(undefined));
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
/** The result of f, or the message of what it threw. */
const outcome = <T>(f: () => T): T | string => { try { return f(); } catch (e) { return `${(e as Error).constructor.name}: ${(e as Error).message}`; } };

test('byteLength, from(string), write(string, offset, length) give the package\'s bytes', (t) => {
  fc.assert(fc.property(text, fc.nat(8), fc.option(fc.nat(80), { nil: undefined }), fc.nat(80), (s, offset, length, size) => {
    if (Lean.byteLength(s) !== Pkg.byteLength(s)) return false;
    if (!same(Lean.from(s), Pkg.from(s))) return false;
    const a = Lean.alloc(size);
    const b = Pkg.alloc(size);
    const ra = outcome(() => a.write(s, offset, length));
    const rb = outcome(() => b.write(s, offset, length as number));
    return ra === rb && same(a, b);
  }), { numRuns: 3000 });
  t.pass();
});

test('toString(utf8, start, end) reads bytes as the package does, bad sequences included', (t) => {
  fc.assert(fc.property(bytesArb, int, int, (bytes, start, end) => {
    const a = Lean.from(bytes);
    const b = Pkg.from(bytes);
    return a.toString('utf8', start, end) === b.toString('utf8', start, end) && a.toString() === b.toString();
  }), { numRuns: 3000 });
  t.pass();
});

test('from(array), from(ArrayBuffer, offset, length), isBuffer, alloc, allocUnsafe, concat', (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 20 }), fc.uint8Array({ maxLength: 32 }), fc.nat(40), fc.option(fc.nat(40), { nil: undefined }), (array, bytes, offset, length) => {
    if (!same(Lean.from(array), Pkg.from(array))) return false;
    const ab = bytes.buffer as ArrayBuffer;
    const ra = outcome(() => Array.from(Lean.from(ab, offset, length)));
    const rb = outcome(() => Array.from(Pkg.from(ab, offset, length)));
    if (JSON.stringify(ra) !== JSON.stringify(rb)) return false;
    if (typeof ra !== 'string') { // a view, not a copy, as in the package
      const view = Lean.from(ab, offset, length);
      if (view.length > 0 && view.buffer !== ab) return false;
    }
    const la = Lean.alloc(array.length);
    return Lean.isBuffer(la) && !Lean.isBuffer(bytes) && la.every((x) => x === 0) && Lean.allocUnsafe(3).length === 3;
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 5 }), fc.option(fc.nat(40), { nil: undefined }), (list, length) => {
    return same(Lean.concat(list.map((b) => Lean.from(b)), length), Pkg.concat(list.map((b) => Pkg.from(b)), length));
  }), { numRuns: 1000 });
  t.pass();
});

test('copy(target, targetStart, start, end) copies and answers as the package, errors included', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), fc.nat(24), int, int, int, (src, size, targetStart, start, end) => {
    const ta = Lean.alloc(size);
    const tb = Pkg.alloc(size);
    const ra = outcome(() => Lean.from(src).copy(ta, targetStart, start, end));
    const rb = outcome(() => Pkg.from(src).copy(tb, targetStart, start, end));
    return ra === rb && same(ta, tb);
  }), { numRuns: 3000 });
  t.pass();
});

test('slice is a view with the package\'s bounds; subarray stays a Buffer', (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), int, int, (bytes, start, end) => {
    const a = Lean.from(bytes);
    const b = Pkg.from(bytes);
    const sa = a.slice(start, end);
    const sb = b.slice(start, end);
    if (!same(sa, sb) || !Lean.isBuffer(sa) || !Lean.isBuffer(a.subarray(0, 1))) return false;
    if (sa.length > 0) { sa[0] ^= 0xff; if (a[sa.byteOffset - a.byteOffset] !== sa[0]) return false; }
    return true;
  }), { numRuns: 2000 });
  t.pass();
});

test('readUInt8/16BE/32BE and writeUInt8/16BE/32BE: values, bytes and errors as the package', (t) => {
  const reads = ['readUInt8', 'readUInt16BE', 'readUInt32BE'] as const;
  const writes = ['writeUInt8', 'writeUInt16BE', 'writeUInt32BE'] as const;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: -1, max: 9 }), fc.integer({ min: 0, max: 2 }), fc.oneof(fc.integer({ min: -1, max: 0x100000000 }), fc.nat(300)), fc.boolean(), (bytes, offset, k, value, noAssert) => {
    const a = Lean.from(bytes);
    const b = Pkg.from(bytes);
    if (outcome(() => a[reads[k]](offset)) !== outcome(() => b[reads[k]](offset))) return false;
    if (noAssert && (offset < 0 || offset + k + 1 > bytes.length)) return true; // unchecked out of range: not used so
    const wa = outcome(() => a[writes[k]](value, offset, noAssert));
    const wb = outcome(() => (b[writes[k]] as (v: number, o: number, n?: boolean) => number)(value, offset, noAssert));
    return wa === wb && same(a, b);
  }), { numRuns: 3000 });
  t.pass();
});

test('the shim speaks utf8 only and says so', (t) => {
  t.throws(() => Lean.from('aa', 'hex'), { message: /Unknown encoding: hex/ });
  t.throws(() => Lean.from('aa').toString('base64'), { message: /Unknown encoding: base64/ });
  t.throws(() => Lean.alloc(2, 1), { message: /does not fill/ });
});
