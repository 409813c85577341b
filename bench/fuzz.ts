// The fuzz benchmark: a million inputs (by default) from fast-check, with fixed seeds, against
// every place where untrusted bytes or documents enter the panel: signed commands, CBOR, COSE
// envelopes, MQTT packets, the portal's form and import routes, and the config checks behind
// them. Checked for every input: no exception escapes (a clear refusal value instead), and a
// stateful target is unchanged after a refusal. Not part of `npm test` (minutes, not seconds);
// failures are counted, not thrown, so that the report says how many and shows the first few.
// A failure reproduces from its target, seed and input index (`fc.check` with that seed).
import fc from 'fast-check';
import { Tag } from 'cbor-x';
import { performance } from 'node:perf_hooks';
import { decodeCbor, encodeCbor, CborError } from '../src/uplink/cbor.ts';
import { authenticateCommand, commandActions, CommandKey, decodeCommand, kidForUser, signCommand, type AuthOptions, type Command } from '../src/uplink/commands.ts';
import { COSE_MAC0_TAG, signMac0, verifyMac0 } from '../src/uplink/cose.ts';
import { openUplink, sealUplink, type UplinkKind } from '../src/uplink/uplink-auth.ts';
import { encodePacket, packetReader, payload as packetPayload, type Packet } from '../src/uplink/packets.ts';
import { applyForm, configView, exportDocument, importDocument } from '../src/portal/form.ts';
import { validateConfig, type PanelConfig } from '../src/config.ts';
import { json, login, req, simPortal } from '../test/portal/support.ts';

export const FUZZ_SEED = 20261201;
/** Share of the inputs each target gets (sums to 1). The portal runs a whole request per input, so it gets fewer. */
export const FUZZ_SPLIT = { commands: 0.3, cbor: 0.2, cose: 0.15, packets: 0.15, config: 0.12, portal: 0.08 } as const;
export type FuzzTarget = keyof typeof FUZZ_SPLIT;

export interface FuzzTargetReport {
  target: FuzzTarget;
  what: string;
  seed: number;
  inputs: number;
  refusals: number;
  accepted: number;
  failures: number;
  /** The first few failures: input index, what went wrong, the input (hex or JSON, cut short). */
  examples: Array<{ index: number; problem: string; input: string }>;
  wall_seconds: number;
}
export interface FuzzReport { total_inputs: number; seed: number; runtime: string; targets: FuzzTargetReport[]; failures: number; wall_seconds: number }

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

// ---- byte mutations of valid inputs ----------------------------------------------------------

/** CBOR heads worth splicing in: huge and wide integers, nested and odd tags, indefinite lengths, lengths beyond the input. */
const INTERESTING: number[][] = [
  [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0], [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x1a, 0xff, 0xff, 0xff, 0xff], [0x19, 0, 1], [0x18, 1], [0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0], [0xc3, 0x41, 0xff],
  [0xd1], [0xd8, 0x11], [0xc6, 0xc6, 0xc6, 0xc6], [0xd9, 0xd9, 0xf7], [0xd8, 0x69], [0xd8, 0x1c], [0xd8, 0x1d, 0], [0xd9, 0x01, 0x03],
  [0xd8, 0x40], [0xd8, 0x48, 0x44, 1, 2, 3, 4], [0xda, 0xff, 0xff, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x9f], [0xbf], [0xff], [0x5f], [0x7f], [0x5f, 0x41, 0, 0xff], [0xf9, 0x7e, 0x00], [0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], [0xfa, 0x47, 0xc3, 0x50, 0],
  [0xf4], [0xf5], [0xf6], [0xf7], [0xf8, 0x20], [0xfc], [0x1c], [0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x9b, 0, 0, 0, 1, 0, 0, 0, 0],
  [0xba, 0xff, 0xff, 0xff, 0xff], [0x7a, 0, 0, 0x10, 0], [0x62, 0xc3, 0x28], [0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81],
  new Array(300).fill(0x81), new Array(300).fill(0xc6),
];

type Mutation =
  | { k: 'flip'; at: number; bit: number } | { k: 'set'; at: number; byte: number } | { k: 'cut'; at: number }
  | { k: 'extend'; bytes: Uint8Array } | { k: 'insert'; at: number; bytes: Uint8Array } | { k: 'delete'; at: number; n: number }
  | { k: 'splice'; at: number; which: number; over: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('splice' as const), at: fc.nat(), which: fc.nat(INTERESTING.length - 1), over: fc.boolean() }) },
);

function mutate(base: Uint8Array, ops: Mutation[]): Uint8Array {
  let b = Array.from(base);
  for (const op of ops) {
    const at = (n: number) => (b.length === 0 ? 0 : ('at' in op ? op.at : 0) % (b.length + n));
    switch (op.k) {
      case 'flip': if (b.length) b[at(0)] ^= 1 << op.bit; break;
      case 'set': if (b.length) b[at(0)] = op.byte; break;
      case 'cut': b = b.slice(0, at(0)); break;
      case 'extend': b.push(...op.bytes); break;
      case 'insert': { const i = at(1); b.splice(i, 0, ...op.bytes); break; }
      case 'delete': { const i = at(0); b.splice(i, op.n); break; }
      case 'splice': { const i = at(1); const s = INTERESTING[op.which]; b.splice(i, op.over ? s.length : 0, ...s); break; }
    }
  }
  return new Uint8Array(b);
}
const mutated = (bases: Uint8Array[]) =>
  fc.tuple(fc.nat(bases.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([i, ops]) => ({ base: i, bytes: mutate(bases[i], ops) }));

// ---- CBOR values of every shape and width (for re-encoded structures with wrong types) ---------

const weirdLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 300 }), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -1, -(2 ** 63), 1.5, NaN, Infinity, -0),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.constantFrom(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 53n - 1n, 0n, 2n ** 70n, -(2n ** 70n)),
  fc.double(), fc.string({ maxLength: 12 }), fc.constantFrom(...commandActions), fc.uint8Array({ maxLength: 40 }),
  fc.boolean(), fc.constant(null), fc.constant(undefined),
);
const cborValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    weirdLeaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.string({ maxLength: 4 })), tie('v')), { maxLength: 4 }).map((e) => new Map(e)),
    fc.tuple(fc.constantFrom(0, 1, 2, 3, 17, 24, 55799, 259, 2 ** 32 + 1), tie('v')).map(([t, v]) => new Tag(v, t)),
  ),
})).v;

// ---- the targets ------------------------------------------------------------------------------

interface Outcome { accepted: boolean; problem?: string }
type Runner = { what: string; arbitrary: fc.Arbitrary<any>; run: (input: any) => Outcome; show: (input: any) => string };

const ERR = (e: unknown) => `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? String(e)}`.slice(0, 200);
const clearRefusal = (r: { ok: boolean; detail?: unknown }) => r.ok || (typeof r.detail === 'string' && r.detail.length >= 5);

function commandsTarget(): Runner {
  const keys = new Map<number, Uint8Array>([[1, new Uint8Array(32).fill(1)], [7, new Uint8Array(32).fill(7)], [12, new Uint8Array(32).fill(12)]]);
  const now = 1_790_000_000;
  const options = (clock: boolean): AuthOptions => ({
    keyFor: (u) => keys.get(u), lastCounter: (u) => (u === 12 ? null : 10), now: clock ? now : undefined,
    nonceFresh: (n) => n.length === 8 && n.every((x) => x === 0xaa),
  });
  const withClock = options(true);
  const noClock = options(false);
  const commands: Command[] = [
    { id: 1, action: 'disarm', args: {}, counter: 11, time: now },
    { id: 2 ** 32 - 1, action: 'arm_away', args: { force: true }, counter: 2 ** 40, time: now - 5 },
    { id: 3, action: 'bypass', args: { zone: 4 }, counter: 12, time: now, nonce: new Uint8Array(8).fill(0xaa) },
    { id: 4, action: commandActions[commandActions.length - 1], args: {}, counter: 99, time: now + 10 },
  ].filter((c) => { try { signCommand(c as Command, 1, keys.get(1)!); return true; } catch { return false; } }) as Command[];
  const envelopes = commands.flatMap((c) => [signCommand(c, 1, keys.get(1)!), signCommand(c, 7, keys.get(7)!)]);
  // A payload map with one field replaced (or added, or removed) by any CBOR value, properly signed: reaches decodeCommand.
  const field = fc.oneof(fc.constantFrom(...Object.values(CommandKey)), fc.integer({ min: -3, max: 12 }), fc.string({ maxLength: 3 }));
  const resigned = fc.tuple(fc.nat(commands.length - 1), fc.array(fc.tuple(field, fc.option(cborValue)), { minLength: 1, maxLength: 3 }), fc.constantFrom(1, 7))
    .map(([i, edits, user]) => {
      const map = decodeCbor(decodeCommandBytes(envelopes[i * 2])) as Map<unknown, unknown>;
      for (const [k, v] of edits) { if (v === null) map.delete(k); else map.set(k, v); }
      let payload: Uint8Array;
      try { payload = encodeCbor(map); } catch { payload = encodeCbor(new Map([[0, 1]])); }
      return { base: -1, bytes: signMac0(payload, kidForUser(user), keys.get(user)!) };
    });
  // The envelope itself re-encoded with one of its four parts (or the tag number, or the kid) of another type.
  const envelope = fc.tuple(fc.nat(envelopes.length - 1), fc.integer({ min: -2, max: 5 }), cborValue, fc.constantFrom(17, 16, 96, 97, 18, 98))
    .map(([i, part, value, tagNo]) => {
      const tag = decodeCbor(envelopes[i]) as Tag;
      const parts = [...(tag.value as unknown[])];
      if (part === 4) (parts[1] as Map<number, unknown>).set(4, value);
      else if (part === 5) parts.push(value);
      else if (part >= 0) parts[part] = value;
      else if (part === -1) parts.pop();
      let bytes: Uint8Array;
      try { bytes = encodeCbor(part === -2 ? value : new Tag(parts, tagNo)); } catch { bytes = new Uint8Array([0xd1, 0x80]); }
      return { base: -1, bytes };
    });
  const input = fc.tuple(fc.oneof({ weight: 5, arbitrary: mutated(envelopes) }, { weight: 3, arbitrary: resigned }, { weight: 2, arbitrary: envelope }), fc.boolean());
  const reasons = new Set(['malformed', 'bad_mac', 'unknown_key', 'replay', 'stale', 'future', 'unknown_action', 'counter_lost']);
  return {
    what: '`authenticateCommand` (with and without a wall clock) on signed COSE_Mac0 commands: bytes flipped, cut, extended, CBOR heads spliced in; payload fields re-encoded with other types and widths (huge ints, BigInts, floats, nested tags) and signed again; envelopes with parts of the wrong type; and `decodeCommand` on each MAC-checked payload',
    arbitrary: input,
    show: ([x]) => hex(x.bytes),
    run: ([x, clock]) => {
      const r = authenticateCommand(x.bytes, clock ? withClock : noClock);
      if (!r.ok) {
        if (!reasons.has(r.reason) || !clearRefusal(r)) return { accepted: false, problem: `unclear refusal ${JSON.stringify(r)}` };
        return { accepted: false };
      }
      // Accepted: it must be what a key holder signed (a byte mutation may only keep meaning, never forge).
      const again = decodeCommand(r.counter >= 0 ? decodeCommandBytes(x.bytes) : new Uint8Array());
      if (!again.ok || again.command.id !== r.id || !keys.has(r.user)) return { accepted: true, problem: 'accepted, yet not what a key holder signed' };
      if (x.base >= 0 && !sameCommand(again.command, commands[x.base >> 1])) return { accepted: true, problem: 'a mutated envelope was accepted with another meaning' };
      return { accepted: true };
    },
  };
}
/** The payload of a valid envelope (tests' own bytes only). */
function decodeCommandBytes(envelope: Uint8Array): Uint8Array { return ((decodeCbor(envelope) as Tag).value as unknown[])[2] as Uint8Array; }
const sameCommand = (a: Command, b: Command) => JSON.stringify({ ...a, nonce: a.nonce && hex(a.nonce) }) === JSON.stringify({ ...b, nonce: b.nonce && hex(b.nonce) });

function cborTarget(): Runner {
  const samples = [
    new Map<unknown, unknown>([[0, 1], [1, 42], [2, 'disarm'], [3, 2n ** 60n], [4, 1_790_000_000], [7, new Uint8Array(8)]]),
    [1, -1, 'text', new Uint8Array([1, 2, 3]), [true, false, null], new Map([['a', 1.5]])],
    new Tag([new Uint8Array([0xa1, 1, 5]), new Map([[4, new Uint8Array([0x31])]]), new Uint8Array(20), new Uint8Array(32)], 17),
    { v: 1, zones: [1, 2, 3], name: 'x'.repeat(30) },
  ];
  const bases = samples.map((s) => encodeCbor(s));
  const reference = bases[0];
  const referenceValue = JSON.stringify(decodeCbor(reference), (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v));
  const input = fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ base: -1, bytes })) },
    { weight: 5, arbitrary: mutated(bases) },
    { weight: 1, arbitrary: cborValue.map((v) => { try { return { base: -1, bytes: encodeCbor(v) }; } catch { return { base: -1, bytes: new Uint8Array([0xf6]) }; } }) },
  );
  return {
    what: '`decodeCbor` on arbitrary bytes, on mutated valid CBOR (commands, envelopes, arrays, text maps) and on encoded random values; the decoder is shared, so a valid reference decodes the same after every input',
    arbitrary: input,
    show: (x) => hex(x.bytes),
    run: (x) => {
      let accepted = false;
      try { decodeCbor(x.bytes); accepted = true; } catch (e) {
        if (!(e instanceof CborError) || e.message.length < 5) return { accepted, problem: ERR(e) };
      }
      const again = JSON.stringify(decodeCbor(reference), (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v));
      if (again !== referenceValue) return { accepted, problem: 'the decoder changed: a valid reference decodes differently afterwards' };
      return { accepted };
    },
  };
}

function coseTarget(): Runner {
  const key = new Uint8Array(32).fill(3);
  const uplinkKey = new Uint8Array(32).fill(9);
  const payloads = [encodeCbor(new Map([[0, 1], [1, 602]])), encodeCbor([1, 2, 3]), new Uint8Array(300).fill(7)];
  const kinds: UplinkKind[] = ['event', 'state', 'reply'];
  const command = new Uint8Array([1, 2, 3]);
  const mac0s = payloads.map((p) => signMac0(p, kidForUser(5), key));
  const uplinks = payloads.map((p, i) => sealUplink(p, uplinkKey, 'panel1', kinds[i], kinds[i] === 'reply' ? command : undefined));
  const bases = [...mac0s, ...uplinks];
  const parts = fc.tuple(fc.nat(bases.length - 1), fc.integer({ min: -2, max: 4 }), cborValue).map(([i, part, value]) => {
    const parts = [...((decodeCbor(bases[i]) as Tag).value as unknown[])];
    if (part === 4) parts.push(value); else if (part >= 0) parts[part] = value; else if (part === -1) parts.pop();
    try { return { base: i, bytes: encodeCbor(part === -2 ? value : new Tag(parts, COSE_MAC0_TAG)) }; } catch { return { base: i, bytes: new Uint8Array([0xd1]) }; }
  });
  const input = fc.oneof({ weight: 3, arbitrary: mutated(bases) }, { weight: 1, arbitrary: parts }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((bytes) => ({ base: 0, bytes })) });
  return {
    what: '`verifyMac0` (HMAC 256/256, the command envelope) and `openUplink` (HMAC 256/64, what monitors open) on mutated envelopes, envelopes with parts of other types, and arbitrary bytes',
    arbitrary: input,
    show: (x) => hex(x.bytes),
    run: (x) => {
      const kind = kinds[x.base % 3];
      const m = verifyMac0(x.bytes, (kid) => (kid.length === 1 && kid[0] === 0x35 ? key : undefined));
      const u = openUplink(x.bytes, uplinkKey, 'panel1', kind, kind === 'reply' ? command : undefined);
      if (!clearRefusal(m) || !clearRefusal(u)) return { accepted: false, problem: `unclear refusal ${JSON.stringify([m, u]).slice(0, 200)}` };
      const p = payloads[x.base % 3];
      if (m.ok && hex(m.payload) !== hex(p)) return { accepted: true, problem: 'verifyMac0 accepted another payload' };
      if (u.ok && hex(u.payload) !== hex(p)) return { accepted: true, problem: 'openUplink accepted another payload' };
      return { accepted: m.ok || u.ok };
    },
  };
}

function packetsTarget(): Runner {
  const pub = (v: 4 | 5, extra: object): Packet => ({ cmd: 'publish', topic: 'alarm/p1/cmd', payload: packetPayload(new Uint8Array(40).fill(1)), qos: 1, messageId: 7, retain: false, dup: false, ...extra } as Packet);
  const packets: Array<[4 | 5, Packet]> = [
    [5, { cmd: 'connack', sessionPresent: true, reasonCode: 0, properties: { topicAliasMaximum: 10, receiveMaximum: 20, maximumPacketSize: 4096, serverKeepAlive: 60 } } as Packet],
    [4, { cmd: 'connack', sessionPresent: false, returnCode: 0 } as Packet],
    [5, pub(5, { properties: { topicAlias: 3, messageExpiryInterval: 10, userProperties: { a: 'b' }, contentType: 'application/cbor' } })],
    [4, pub(4, {})],
    [5, { cmd: 'suback', messageId: 2, granted: [1, 0x80], properties: { reasonString: 'x' } } as Packet],
    [5, { cmd: 'puback', messageId: 9, reasonCode: 0x10 } as Packet],
    [4, { cmd: 'pingresp' } as Packet],
    [5, { cmd: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'bye', serverReference: 'h' } } as Packet],
  ];
  const bases = packets.map(([v, p]) => encodePacket(p, v));
  const input = fc.tuple(mutated(bases), fc.array(fc.nat(), { maxLength: 3 }), fc.boolean());
  return {
    what: 'the MQTT packet reader (`packetReader`, mqtt-packet) on mutated valid CONNACK, PUBLISH (v4 and v5 with properties), SUBACK, PUBACK, PINGRESP and DISCONNECT, fed in random pieces, sometimes after a valid packet',
    arbitrary: input,
    show: ([x]) => hex(x.bytes),
    run: ([x, cuts, lead]) => {
      const version = packets[x.base][0];
      let errors = 0; let after = 0; let got = 0;
      const reader = packetReader(version, () => { got++; if (errors) after++; }, (e) => { errors++; if (!(e instanceof Error)) after += 100; });
      try {
        if (lead) reader.push(new Uint8Array(bases[x.base]));
        const at = [...new Set((cuts as number[]).map((c: number) => c % (x.bytes.length + 1)))].sort((a: number, b: number) => a - b);
        let from = 0;
        for (const c of [...at, x.bytes.length]) { reader.push(x.bytes.slice(from, c)); from = c; }
      } catch (e) { return { accepted: false, problem: ERR(e) }; }
      if (errors > 1 || after) return { accepted: false, problem: `after an error: ${errors} errors, ${after} packets or non-Error` };
      return { accepted: errors === 0 && got > (lead ? 1 : 0) };
    },
  };
}

/** Paths to the leaves of a JSON value, and objects' paths (to add or drop keys). */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return [at];
}
type Edit = { path: number; op: 'set' | 'drop' | 'add'; key: string; value: unknown };
const jsonEdit: fc.Arbitrary<Edit> = fc.record({
  path: fc.nat(), op: fc.constantFrom('set', 'set', 'drop', 'add'),
  key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'code', 'number', 'role', 'pin', 'v', 'x'), fc.string({ maxLength: 6 })),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', '1234', '0000', 'x'.repeat(300), -1, 0, 1, 2 ** 53, 1e308, null, true, [], {}, '\u0000', '\ud800')),
});
function editJson(doc: unknown, edits: Edit[]): unknown {
  const copy = structuredClone(doc);
  for (const edit of edits) {
    const e = { ...edit, value: structuredClone(edit.value) }; // fc.constantFrom hands out the same {} and [] every time
    const all = paths(copy);
    const p = all[e.path % all.length];
    if (p.length === 0) continue;
    let o: any = copy;
    for (const k of p.slice(0, -1)) o = o[k];
    const last = p[p.length - 1];
    if (e.op === 'drop') { if (Array.isArray(o)) o.splice(Number(last), 1); else delete o[last]; }
    else if (e.op === 'add' && o[last] && typeof o[last] === 'object' && !Array.isArray(o[last])) Object.defineProperty(o[last], e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    else o[last] = e.value;
  }
  return copy;
}

function configTarget(): Runner {
  const p = simPortal();
  const current = p.panel.config();
  const frozen = JSON.stringify(current);
  const form = configView(current).config;
  const exported = JSON.parse(JSON.stringify(exportDocument(current)));
  const whole = JSON.parse(JSON.stringify(current));
  const docs = [form, exported, whole];
  const random = (n: number) => new Uint8Array(n).fill(5);
  const input = fc.tuple(fc.nat(2), fc.array(jsonEdit, { minLength: 1, maxLength: 3 }));
  return {
    what: '`applyForm` (the page\'s form), `importDocument` (an export or a whole config) and `validateConfig` on valid documents with leaves replaced, keys dropped or added (`__proto__` too), values of every JSON type',
    arbitrary: input,
    show: ([d, edits]) => JSON.stringify([d, edits]).slice(0, 300),
    run: ([d, edits]) => {
      const doc = editJson(docs[d], edits);
      let accepted = false;
      try {
        const results = d === 0 ? [applyForm(current, doc, random), validateConfig(doc)] : d === 1 ? [importDocument(current, doc, random)] : [importDocument(current, doc, random), validateConfig(doc)];
        for (const r of results) {
          if (r.ok) { accepted = true; continue; }
          if (!r.errors.length || !r.errors.every((e) => typeof e.field === 'string' && typeof e.message === 'string' && e.message.length >= 5)) return { accepted, problem: `unclear errors ${JSON.stringify(r.errors).slice(0, 200)}` };
        }
      } catch (e) { return { accepted, problem: ERR(e) }; }
      if (JSON.stringify(current) !== frozen) return { accepted, problem: 'the current config changed' };
      return { accepted };
    },
  };
}

function portalTarget(): Runner {
  const setup = () => {
    const p = simPortal();
    const s = login(p.handler, p.first.installerCode);
    const form = json(p.handler(req('GET', '/api/config', undefined, s.headers))).config;
    const exported = json(p.handler(req('GET', '/api/config/export', undefined, s.headers)));
    const whole = JSON.parse(JSON.stringify({ ...p.panel.config(), counters: p.panel.counters() }));
    const storage = p.host.storage;
    const fingerprint = () => storage.names().map((n) => `${n}:${hex(storage.read(n))}`).join('|') + JSON.stringify(p.panel.config()) + JSON.stringify(p.panel.snapshot()) + p.panel.events().length;
    return { ...p, s, docs: [form, exported, whole], fingerprint };
  };
  let ctx = setup();
  const routes = ['/api/config', '/api/config/import', '/api/config/import'];
  const input = fc.tuple(fc.nat(2), fc.oneof(
    { weight: 4, arbitrary: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }).map((edits) => ({ edits })) },
    { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ops) => ({ ops })) },
  ));
  return {
    what: 'the portal handler (`createPortal`, logged in, CSRF and Origin right) with form saves and config imports: valid documents edited as for `config`, or their JSON text mutated byte-wise; flash, config, state and log compared before and after every refusal',
    arbitrary: input,
    show: ([d, m]) => JSON.stringify([d, m]).slice(0, 300),
    run: ([d, m]) => {
      const body = m.edits ? utf8(JSON.stringify(editJson(ctx.docs[d], m.edits))) : mutate(utf8(JSON.stringify(ctx.docs[d])), m.ops);
      const before = ctx.fingerprint();
      let response;
      try { response = ctx.handler(req('POST', routes[d], body, ctx.s.headers)); } catch (e) { return { accepted: false, problem: ERR(e) }; }
      if (response.status < 300) { ctx = setup(); return { accepted: true }; } // a change (and the end of the session, on import): start again
      if (response.status >= 500) return { accepted: false, problem: `status ${response.status}` };
      let answer;
      try { answer = json(response); } catch { return { accepted: false, problem: `status ${response.status}, body not JSON` }; }
      if (!Array.isArray(answer.errors) || !answer.errors.length || !answer.errors.every((e: any) => typeof e.field === 'string' && typeof e.message === 'string' && e.message.length >= 5)) return { accepted: false, problem: `unclear errors ${JSON.stringify(answer).slice(0, 200)}` };
      if (ctx.fingerprint() !== before) return { accepted: false, problem: `refused with ${response.status}, yet something changed` };
      return { accepted: false };
    },
  };
}

const makers: Record<FuzzTarget, () => Runner> = { commands: commandsTarget, cbor: cborTarget, cose: coseTarget, packets: packetsTarget, config: configTarget, portal: portalTarget };

export function fuzzBench(options: { inputs?: number; seed?: number; only?: FuzzTarget[]; log?: (line: string) => void } = {}): FuzzReport {
  const total = options.inputs ?? 1_000_000;
  const seed = options.seed ?? FUZZ_SEED;
  const chosen = options.only ?? (Object.keys(FUZZ_SPLIT) as FuzzTarget[]);
  const began = performance.now();
  const targets: FuzzTargetReport[] = [];
  for (const [i, target] of chosen.entries()) {
    const runner = makers[target]();
    const share = Math.max(1, Math.round(total * FUZZ_SPLIT[target]));
    const report: FuzzTargetReport = { target, what: runner.what, seed: seed + i, inputs: 0, refusals: 0, accepted: 0, failures: 0, examples: [], wall_seconds: 0 };
    const start = performance.now();
    const details = fc.check(fc.property(runner.arbitrary, (input) => {
      const index = report.inputs++;
      let outcome: Outcome;
      try { outcome = runner.run(input); } catch (e) { outcome = { accepted: false, problem: ERR(e) }; }
      if (outcome.accepted) report.accepted++; else report.refusals++;
      if (outcome.problem) {
        report.failures++;
        let shown: string;
        try { shown = runner.show(input).slice(0, 400); } catch (e) { shown = `(not shown: ${ERR(e)})`; }
        if (report.examples.length < 3) report.examples.push({ index, problem: outcome.problem, input: shown });
      }
      return true;
    }), { seed: seed + i, numRuns: share, endOnFailure: true });
    if (details.failed) { report.failures++; report.examples.push({ index: -1, problem: `fast-check: ${String(details.errorInstance).slice(0, 200)}`, input: '' }); }
    report.wall_seconds = Math.round((performance.now() - start) / 100) / 10;
    options.log?.(`fuzz ${target}: ${report.inputs} inputs, ${report.failures} failures, ${report.wall_seconds} s`);
    targets.push(report);
  }
  const failures = targets.reduce((a, t) => a + t.failures, 0);
  return { total_inputs: targets.reduce((a, t) => a + t.inputs, 0), seed, runtime: `Node ${process.version}`, targets, failures, wall_seconds: Math.round((performance.now() - began) / 100) / 10 };
}
