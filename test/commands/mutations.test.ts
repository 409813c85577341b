// Thousands of generated mutations of valid commands (fast-check): every one is refused with
// a reason, none throws, and the panel's counters never move.
//
// Three families: bytes changed blindly (flips, truncations, insertions, deletions, garbage);
// the envelope taken apart and put back with one part altered, without the key (re-encoded by
// cbor2, an independent encoder); the payload altered to something invalid and properly signed,
// which must fail on the payload rules themselves.
import test from 'ava';
import fc from 'fast-check';
import { encode, decode, Tag } from 'cbor2';
import { signMac0 } from '../../src/uplink/cose.ts';
import { encodeCbor } from '../../src/uplink/cbor.ts';
import { kidForUser, signCommand, type AuthRefusal, type AuthResult, type Command } from '../../src/uplink/commands.ts';
import { Panel, NOW, keyOf } from './fixtures.ts';

const reasons = new Set<AuthRefusal>(['malformed', 'bad_mac', 'unknown_key', 'replay', 'stale', 'future', 'unknown_action']);

interface Signed { user: number; command: Command; wire: Uint8Array }

const validCommand: fc.Arbitrary<Signed> = fc.record({
  user: fc.constantFrom(1, 2, 7),
  id: fc.nat({ max: 0xffffffff }),
  actionArgs: fc.oneof(
    fc.record({ action: fc.constantFrom('arm_away', 'arm_home', 'arm_night' as const), args: fc.record({ force: fc.boolean() }) }),
    fc.record({ action: fc.constantFrom('bypass', 'unbypass' as const), args: fc.record({ zone: fc.integer({ min: 1, max: 255 }) }) }),
    fc.record({ action: fc.constantFrom('disarm', 'silence', 'log_export', 'test' as const), args: fc.constant({}) }),
  ),
  counter: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  skew: fc.integer({ min: -40, max: 20 }),
}).map(({ user, id, actionArgs, counter, skew }) => {
  const command = { id, ...actionArgs, counter, time: NOW + skew } as Command;
  return { user, command, wire: signCommand(command, user, keyOf(user)) };
});

/** A panel that has already accepted `signed` (the attacker saw it on the broker afterwards). */
const afterAcceptance = (s: Signed) => new Panel({ counters: [[1, 0], [2, 0], [7, 0], [s.user, s.command.counter]] });
/** A panel that has not seen it yet (the attacker got there first). */
const beforeAcceptance = (s: Signed) => new Panel({ counters: [[1, 0], [2, 0], [7, 0], [s.user, s.command.counter - 1]] });

const tally = new Map<string, number>();
function refusedCleanly(panel: Panel, wire: Uint8Array): AuthResult {
  const before = panel.snapshot();
  const result = panel.handle(wire);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result)}`);
  if (!reasons.has(result.reason)) throw new Error(`unknown reason ${result.reason}`);
  if (typeof result.detail !== 'string' || result.detail === '') throw new Error('no detail');
  if (panel.snapshot() !== before) throw new Error('counters moved');
  tally.set(result.reason, (tally.get(result.reason) ?? 0) + 1);
  return result;
}

// ---- blind byte mutations ------------------------------------------------------------------
type ByteMutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(wire: Uint8Array, m: ByteMutation): Uint8Array {
  const at = m.at % (wire.length + (m.kind === 'insert' ? 1 : 0));
  switch (m.kind) {
    case 'flip': { const out = wire.slice(); out[at] ^= m.mask; return out; }
    case 'truncate': return wire.slice(0, at);
    case 'insert': return new Uint8Array([...wire.subarray(0, at), ...m.bytes, ...wire.subarray(at)]);
    case 'delete': return new Uint8Array([...wire.subarray(0, at), ...wire.subarray(at + m.count)]);
    case 'overwrite': { const out = wire.slice(); out.set(m.bytes.subarray(0, out.length - at), at); return out; }
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

test('blind byte mutations: refused after the original was accepted', (t) => {
  fc.assert(fc.property(validCommand, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), (signed, mutations) => {
    const wire = mutations.reduce(mutate, signed.wire);
    fc.pre(!sameBytes(wire, signed.wire));
    refusedCleanly(afterAcceptance(signed), wire);
  }), { numRuns: 5000 });
  t.pass();
});

test('blind byte mutations before the original arrives: refused, or the very same command', (t) => {
  let same = 0;
  fc.assert(fc.property(validCommand, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), (signed, mutations) => {
    const wire = mutations.reduce(mutate, signed.wire);
    fc.pre(!sameBytes(wire, signed.wire));
    const panel = beforeAcceptance(signed);
    const result = panel.handle(wire);
    if (result.ok) {
      // Only the unauthenticated parts changed (a tag wrapped around a byte string, say): the MAC
      // still vouches for exactly what the user sent, and the counter still stops a second use.
      same++;
      const { ok, user, kid, ...command } = result;
      if (user !== signed.user || JSON.stringify(command) !== JSON.stringify(signed.command)) throw new Error('accepted a different command');
    } else if (!reasons.has(result.reason)) {
      throw new Error(`unknown reason ${result.reason}`);
    }
  }), { numRuns: 3000 });
  t.log(`mutants accepted as the identical command: ${same}`);
  t.pass();
});

test('garbage of any length is refused', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    refusedCleanly(new Panel(), bytes);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
    refusedCleanly(new Panel(), new Uint8Array([0xd1, 0x84, ...bytes])); // starts like a COSE_Mac0
  }), { numRuns: 2000 });
  t.pass();
});

// ---- the envelope re-assembled with one part altered, without the key ------------------------
const cborValue = fc.oneof(
  fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), fc.boolean(), fc.constant(null),
  fc.array(fc.integer(), { maxLength: 4 }), fc.bigInt({ min: -(2n ** 64n) + 1n, max: 2n ** 64n - 1n }),
);
const commandKeys = [0, 1, 2, 3, 4, 5, 6];

type Parts = [unknown, unknown, unknown, unknown];
const partsOf = (wire: Uint8Array) => (decode(wire) as Tag).contents as Parts;
const alterations: fc.Arbitrary<{ name: string; apply: (p: Parts) => unknown; expect?: AuthRefusal }> = fc.oneof(
  fc.integer({ min: 0, max: 300 }).filter((n) => n !== 17)
    .map((n) => ({ name: `tag ${n}`, apply: (p: Parts) => new Tag(n, p), expect: 'malformed' as const })),
  fc.constant({ name: 'untagged', apply: (p: Parts) => p, expect: 'malformed' as const }),
  fc.integer({ min: 0, max: 3 }).map((i) => ({ name: `drop part ${i}`, apply: (p: Parts) => new Tag(17, p.filter((_, j) => j !== i)), expect: 'malformed' as const })),
  cborValue.map((v) => ({ name: 'extra part', apply: (p: Parts) => new Tag(17, [...p, v]), expect: 'malformed' as const })),
  cborValue.filter((v) => !(v instanceof Uint8Array))
    .map((v) => ({ name: 'protected not bytes', apply: (p: Parts) => new Tag(17, [v, p[1], p[2], p[3]]), expect: 'malformed' as const })),
  cborValue.filter((v) => v !== 5 && v !== 5n)
    .map((alg) => ({ name: 'alg changed', apply: (p: Parts) => new Tag(17, [encode(new Map([[1, alg]])), p[1], p[2], p[3]]), expect: 'malformed' as const })),
  cborValue.map((v) => ({ name: 'unprotected replaced', apply: (p: Parts) => new Tag(17, [p[0], v, p[2], p[3]]) })),
  fc.constantFrom(1, 2, 7).map((u) => ({ name: 'kid of another user', apply: (p: Parts) => new Tag(17, [p[0], new Map([[4, kidForUser(u)]]), p[2], p[3]]), expect: 'bad_mac' as const })),
  fc.uint8Array({ maxLength: 6 }).map((kid) => ({ name: 'kid replaced', apply: (p: Parts) => new Tag(17, [p[0], new Map([[4, kid]]), p[2], p[3]]) })),
  fc.tuple(fc.constantFrom(...commandKeys, 7, 9, -1), cborValue).map(([key, value]) => ({
    name: 'payload field changed',
    apply: (p: Parts) => {
      const map = decode(p[2] as Uint8Array) as Map<number, unknown>;
      map.set(key, value);
      return new Tag(17, [p[0], p[1], encode(map), p[3]]);
    },
    expect: 'bad_mac' as const,
  })),
  fc.constantFrom(...commandKeys).map((key) => ({
    name: 'payload field removed',
    apply: (p: Parts) => {
      const map = decode(p[2] as Uint8Array) as Map<number, unknown>;
      map.delete(key);
      return new Tag(17, [p[0], p[1], encode(map), p[3]]);
    },
    expect: 'bad_mac' as const,
  })),
  cborValue.map((v) => ({ name: 'payload replaced', apply: (p: Parts) => new Tag(17, [p[0], p[1], v instanceof Uint8Array ? v : encode(v), p[3]]) })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((tag) => ({ name: 'tag replaced', apply: (p: Parts) => new Tag(17, [p[0], p[1], p[2], tag]), expect: 'bad_mac' as const })),
  fc.uint8Array({ maxLength: 64 }).filter((tag) => tag.length !== 32)
    .map((tag) => ({ name: 'tag resized', apply: (p: Parts) => new Tag(17, [p[0], p[1], p[2], tag]), expect: 'malformed' as const })),
);

test('the envelope re-encoded with one part altered (no key): refused, with the reason that part calls for', (t) => {
  fc.assert(fc.property(validCommand, alterations, (signed, alteration) => {
    const parts = partsOf(signed.wire);
    const wire = encode(alteration.apply(parts));
    fc.pre(!sameBytes(wire, signed.wire));
    const result = refusedCleanly(beforeAcceptance(signed), wire);
    if (alteration.expect && !result.ok && result.reason !== alteration.expect) {
      throw new Error(`${alteration.name}: ${result.reason} (${result.detail}), expected ${alteration.expect}`);
    }
  }), { numRuns: 3000 });
  t.pass();
});

// ---- the payload made invalid, and signed with the right key -----------------------------------
const notUint = fc.oneof(fc.integer({ max: -1 }), fc.double().filter((x) => !Number.isInteger(x)), fc.string({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.array(fc.nat(), { maxLength: 2 }), fc.constant(2 ** 53));
const invalidField: fc.Arbitrary<{ name: string; edit: (map: Map<unknown, unknown>, s: Signed) => void; expect: AuthRefusal }> = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4).map((k) => ({ name: `field ${k} missing`, edit: (m: Map<unknown, unknown>) => { m.delete(k); }, expect: 'malformed' as const })),
  cborValue.filter((v) => v !== 1 && v !== 1n).map((v) => ({ name: 'v', edit: (m: Map<unknown, unknown>) => { m.set(0, v); }, expect: 'malformed' as const })),
  fc.oneof(notUint, fc.integer({ min: 2 ** 32, max: 2 ** 40 })).map((v) => ({ name: 'id', edit: (m: Map<unknown, unknown>) => { m.set(1, v); }, expect: 'malformed' as const })),
  cborValue.filter((v) => typeof v !== 'string').map((v) => ({ name: 'action type', edit: (m: Map<unknown, unknown>) => { m.set(2, v); }, expect: 'malformed' as const })),
  fc.string({ maxLength: 12 }).filter((a) => !/^(arm_away|arm_home|arm_night|disarm|bypass|unbypass|silence|log_export|test)$/.test(a))
    .map((a) => ({ name: 'action unknown', edit: (m: Map<unknown, unknown>) => { m.set(2, a); }, expect: 'unknown_action' as const })),
  notUint.map((v) => ({ name: 'counter', edit: (m: Map<unknown, unknown>) => { m.set(3, v); }, expect: 'malformed' as const })),
  fc.nat({ max: 1000 }).map((d) => ({
    name: 'counter not above the last',
    edit: (m: Map<unknown, unknown>, s: Signed) => { m.set(3, Math.max(0, s.command.counter - 1 - d)); },
    expect: 'replay' as const,
  })),
  notUint.map((v) => ({ name: 'time', edit: (m: Map<unknown, unknown>) => { m.set(4, v); }, expect: 'malformed' as const })),
  fc.integer({ min: 41, max: 10 ** 6 }).map((d) => ({ name: 'stale', edit: (m: Map<unknown, unknown>) => { m.set(4, NOW - d); }, expect: 'stale' as const })),
  fc.integer({ min: 21, max: 10 ** 6 }).map((d) => ({ name: 'future', edit: (m: Map<unknown, unknown>) => { m.set(4, NOW + d); }, expect: 'future' as const })),
  fc.oneof(notUint, fc.constant(0), fc.integer({ min: 256, max: 2 ** 31 })).map((z) => ({
    name: 'zone',
    edit: (m: Map<unknown, unknown>) => { m.set(2, 'bypass'); m.delete(6); m.set(5, z); },
    expect: 'malformed' as const,
  })),
  fc.constant({ name: 'zone dropped from bypass', edit: (m: Map<unknown, unknown>) => { m.set(2, 'unbypass'); m.delete(6); m.delete(5); }, expect: 'malformed' as const }),
  cborValue.map((v) => ({ name: 'zone on disarm', edit: (m: Map<unknown, unknown>) => { m.set(2, 'disarm'); m.delete(6); m.set(5, v); }, expect: 'malformed' as const })),
  cborValue.filter((v) => typeof v !== 'boolean').map((v) => ({ name: 'force', edit: (m: Map<unknown, unknown>) => { m.set(2, 'arm_night'); m.delete(5); m.set(6, v); }, expect: 'malformed' as const })),
  fc.tuple(fc.oneof(fc.integer({ min: 7, max: 1000 }), fc.integer({ max: -1 }), fc.string({ maxLength: 4 })), cborValue)
    .map(([k, v]) => ({ name: 'unknown field', edit: (m: Map<unknown, unknown>) => { m.set(k, v); }, expect: 'malformed' as const })),
);

test('invalid payloads, properly signed: refused by the payload rules with the expected reason', (t) => {
  fc.assert(fc.property(validCommand, invalidField, (signed, field) => {
    const map = decode(partsOf(signed.wire)[2] as Uint8Array) as Map<unknown, unknown>;
    field.edit(map, signed);
    const wire = signMac0(encodeCbor(map), kidForUser(signed.user), keyOf(signed.user));
    const result = refusedCleanly(beforeAcceptance(signed), wire);
    if (!result.ok && result.reason !== field.expect) throw new Error(`${field.name}: ${result.reason} (${result.detail}), expected ${field.expect}`);
  }), { numRuns: 3000 });
  t.log(`refusals by reason: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  t.pass();
});
