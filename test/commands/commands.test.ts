// Commands as the panel judges them: accepted when authentic, fresh and well formed; otherwise
// refused with the right reason, and the panel's counters untouched.
import test from 'ava';
import { readFileSync } from 'node:fs';
import cose from 'cose-js';
import { encode, decode } from 'cbor2';
import { encodeCbor } from '../../src/uplink/cbor.ts';
import { signMac0 } from '../../src/uplink/cose.ts';
import {
  authenticateCommand, commandActions, decodeCommand, decodeReply, encodeCommand, encodeReply, kidForUser,
  refusalReply, signCommand, userForKid, MAX_COMMAND_BYTES, type AuthRefusal, type Command, type Refused,
} from '../../src/uplink/commands.ts';
import { Panel, NOW, arm, keyOf } from './fixtures.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** A payload map (any content, valid or not) signed properly by user 1. */
const signedMap = (fields: Array<[number, unknown]>, user = 1) =>
  signMac0(encodeCbor(new Map(fields)), kidForUser(user), keyOf(user));
const baseFields = (): Array<[number, unknown]> => [[0, 1], [1, 41], [2, 'disarm'], [3, 5], [4, NOW]];
const withField = (key: number, value: unknown) => signedMap([...baseFields().filter(([k]) => k !== key), [key, value]]);
const without = (key: number) => signedMap(baseFields().filter(([k]) => k !== key));

test('kid is the user number in decimal ASCII', (t) => {
  t.is(hex(kidForUser(7)), '37');
  t.is(hex(kidForUser(120)), '313230');
  t.is(userForKid(text('7')), 7);
  t.is(userForKid(text('999')), 999);
  for (const bad of ['', '0', '07', '1000', '-1', '+1', 'a', '1 ', 'ab']) t.is(userForKid(text(bad)), undefined, JSON.stringify(bad));
});

test('a signed command is accepted, and the caller persists its counter', (t) => {
  const panel = new Panel();
  const result = panel.handle(signCommand(arm({ counter: 5 }), 1, keyOf(1)));
  t.deepEqual(result, {
    ok: true, user: 1, kid: text('1'), id: 41, action: 'arm_away', args: { force: false }, counter: 5, time: NOW,
  });
  t.is(panel.counters.get(1), 5);
});

test('every action round-trips with its arguments', (t) => {
  const panel = new Panel();
  let counter = 10;
  const cases: Array<Pick<Command, 'action' | 'args'>> = [
    { action: 'arm_away', args: { force: true } }, { action: 'arm_home', args: { force: false } },
    { action: 'arm_night', args: { force: false } }, { action: 'disarm', args: {} },
    { action: 'bypass', args: { zone: 3 } }, { action: 'unbypass', args: { zone: 255 } },
    { action: 'silence', args: {} }, { action: 'log_export', args: {} }, { action: 'test', args: {} },
  ];
  t.deepEqual(cases.map((c) => c.action), [...commandActions]);
  for (const c of cases) {
    const result = panel.handle(signCommand({ id: counter, counter: ++counter, time: NOW, ...c }, 2, keyOf(2)));
    t.like(result, { ok: true, user: 2, action: c.action, args: c.args }, c.action);
  }
});

test('the payload uses the documented integer keys (read with cbor2)', (t) => {
  const map = decode(encodeCommand({ id: 9, action: 'bypass', args: { zone: 4 }, counter: 77, time: NOW })) as Map<number, unknown>;
  t.deepEqual([...map], [[0, 1], [1, 9], [2, 'bypass'], [3, 77], [4, NOW], [5, 4]]);
  const forced = decode(encodeCommand(arm({ args: { force: true } }))) as Map<number, unknown>;
  t.is(forced.get(6), true);
  t.false((decode(encodeCommand(arm())) as Map<number, unknown>).has(6), 'force: false is left out');
});

test('a command made entirely by other libraries is accepted (cbor2 payload, cose-js envelope)', async (t) => {
  const payload = encode(new Map<number, unknown>([[0, 1], [1, 7], [2, 'bypass'], [3, 11], [4, NOW - 3], [5, 2]]));
  const wire = await cose.mac.create({ p: { alg: 'SHA-256' }, u: { kid: '7' } }, Buffer.from(payload), { key: Buffer.from(keyOf(7)) });
  const panel = new Panel();
  t.like(panel.handle(new Uint8Array(wire)), { ok: true, user: 7, id: 7, action: 'bypass', args: { zone: 2 }, counter: 11 });
  t.is(panel.counters.get(7), 11);
});

test('the window is −40 s / +20 s, inclusive', (t) => {
  const panel = new Panel();
  t.like(panel.handle(signCommand(arm({ counter: 5, time: NOW - 40 }), 1, keyOf(1))), { ok: true });
  t.like(panel.handle(signCommand(arm({ counter: 6, time: NOW + 20 }), 1, keyOf(1))), { ok: true });
});

test('with the panel clock unset, the nonce decides: any time with the current nonce, none without it', (t) => {
  const panel = new Panel({ now: undefined });
  const nonce = panel.nonce;
  t.like(panel.handle(signCommand(arm({ counter: 5, time: NOW - 86_400, nonce }), 1, keyOf(1))), { ok: true });
  t.like(panel.handle(signCommand(arm({ counter: 6, time: NOW + 86_400, nonce }), 1, keyOf(1))), { ok: true });
  t.like(panel.handle(signCommand(arm({ counter: 7, time: 0, nonce }), 1, keyOf(1))), { ok: true });
  t.like(panel.handle(signCommand(arm({ counter: 8 }), 1, keyOf(1))), { ok: false, reason: 'stale' });
  t.like(panel.handle(signCommand(arm({ counter: 9, nonce: new Uint8Array(8) }), 1, keyOf(1))), { ok: false, reason: 'stale' });
  t.is(panel.counters.get(1), 7, 'refusals spend nothing');
});

test('with the clock set, a nonce may be carried and the time window decides', (t) => {
  const panel = new Panel();
  t.like(panel.handle(signCommand(arm({ counter: 5, nonce: new Uint8Array(8) }), 1, keyOf(1))), { ok: true });
  t.like(panel.handle(signCommand(arm({ counter: 6, time: NOW - 41, nonce: panel.nonce }), 1, keyOf(1))), { ok: false, reason: 'stale' });
});

test('a command is accepted once: the same bytes again are a replay', (t) => {
  const panel = new Panel();
  const wire = signCommand(arm({ counter: 8 }), 1, keyOf(1));
  t.like(panel.handle(wire), { ok: true });
  const again = panel.handle(wire);
  t.like(again, { ok: false, reason: 'replay', id: 41 });
  t.is(panel.counters.get(1), 8);
});

const refusals: Array<[string, () => Uint8Array, AuthRefusal, RegExp, number | undefined]> = [
  ['forged MAC (signed with user 2\'s key, kid 1)', () => signMac0(encodeCommand(arm()), kidForUser(1), keyOf(2)), 'bad_mac', /MAC does not match/, 41],
  ['unknown kid (user 3 holds no key)', () => signCommand(arm(), 3, keyOf(3)), 'unknown_key', /no key for user 3/, 41],
  ['kid not a user number', () => signMac0(encodeCommand(arm()), text('ops'), keyOf(1)), 'unknown_key', /kid "ops" is not a user number/, 41],
  ['kid with a leading zero', () => signMac0(encodeCommand(arm()), text('01'), keyOf(1)), 'unknown_key', /kid "01" is not a user number/, 41],
  ['replayed counter (equal)', () => signCommand(arm({ counter: 4 }), 1, keyOf(1)), 'replay', /counter: 4 is not above 4/, 41],
  ['replayed counter (lower)', () => signCommand(arm({ counter: 9 }), 2, keyOf(2)), 'replay', /counter: 9 is not above 10/, 41],
  ['stale time (41 s old)', () => signCommand(arm({ time: NOW - 41 }), 1, keyOf(1)), 'stale', /41 s old/, 41],
  ['future time (21 s ahead)', () => signCommand(arm({ time: NOW + 21 }), 1, keyOf(1)), 'future', /21 s ahead/, 41],
  ['unknown action', () => withField(2, 'open_garage'), 'unknown_action', /"open_garage" is not a command/, 41],
  ['empty bytes', () => new Uint8Array(0), 'malformed', /^empty CBOR/, undefined],
  ['garbage CBOR', () => new Uint8Array([0x1c, 0xff, 0x00]), 'malformed', /^malformed CBOR/, undefined],
  ['truncated', () => signCommand(arm(), 1, keyOf(1)).subarray(0, 50), 'malformed', /^malformed CBOR: Unexpected end/, undefined],
  ['too large', () => signMac0(new Uint8Array(300), kidForUser(1), keyOf(1)), 'malformed', new RegExp(`more than ${MAX_COMMAND_BYTES}`), undefined],
  ['wrong tag (18)', () => { const w = signCommand(arm(), 1, keyOf(1)); w[0] = 0xd2; return w; }, 'malformed', /CBOR tag 18, not 17/, undefined],
  ['wrong alg (HMAC 256/64)', () => {
    const w = signCommand(arm(), 1, keyOf(1));
    w.set([0xa1, 0x01, 0x04], 3); // protected header bytes a10105 → a10104
    return w;
  }, 'malformed', /alg: 4 is not 5/, 41],
  ['missing kid', () => {
    const w = signCommand(arm(), 1, keyOf(1));
    w[7] = 0x05; // unprotected {4: h'31'} → {5: h'31'}: an IV, no kid
    return w;
  }, 'malformed', /kid: missing/, 41],
  ['payload not CBOR', () => signMac0(new Uint8Array([0xa2, 0x00]), kidForUser(1), keyOf(1)), 'malformed', /^payload: malformed CBOR/, undefined],
  ['payload an array', () => signMac0(encodeCbor([1, 41, 'disarm']), kidForUser(1), keyOf(1)), 'malformed', /payload: not a CBOR map/, undefined],
  ['v missing', () => without(0), 'malformed', /^v: missing/, 41],
  ['v 2', () => withField(0, 2), 'malformed', /^v: version 2 is not supported/, 41],
  ['id missing', () => without(1), 'malformed', /^id: missing/, undefined],
  ['id negative', () => withField(1, -1), 'malformed', /^id: not an unsigned integer/, undefined],
  ['id above 2^32', () => withField(1, 2 ** 32), 'malformed', /^id: not an unsigned integer/, undefined],
  ['id a text string', () => withField(1, '41'), 'malformed', /^id: not an unsigned integer/, undefined],
  ['action missing', () => without(2), 'malformed', /^action: missing/, 41],
  ['action an integer', () => withField(2, 3), 'malformed', /^action: not a text string/, 41],
  ['counter missing', () => without(3), 'malformed', /^counter: missing/, 41],
  ['counter negative', () => withField(3, -5), 'malformed', /^counter: not an unsigned integer/, 41],
  ['counter a fraction', () => withField(3, 5.5), 'malformed', /^counter: not an unsigned integer/, 41],
  ['counter above 2^53', () => withField(3, 2n ** 60n), 'malformed', /^counter: above 2\^53 − 1/, 41],
  ['time missing', () => without(4), 'malformed', /^time: missing/, 41],
  ['time negative', () => withField(4, -1), 'malformed', /^time: not Unix seconds/, 41],
  ['time a text string', () => withField(4, '2026-01-01T00:00:00Z'), 'malformed', /^time: not Unix seconds/, 41],
  ['bypass without zone', () => withField(2, 'bypass'), 'malformed', /^zone: required for bypass/, 41],
  ['zone 0', () => signedMap([...baseFields().slice(0, 2), [2, 'unbypass'], [3, 5], [4, NOW], [5, 0]]), 'malformed', /^zone: not a zone number/, 41],
  ['zone 256', () => signedMap([...baseFields().slice(0, 2), [2, 'bypass'], [3, 5], [4, NOW], [5, 256]]), 'malformed', /^zone: not a zone number/, 41],
  ['zone on disarm', () => withField(5, 1), 'malformed', /^zone: not an argument of disarm/, 41],
  ['force on disarm', () => withField(6, true), 'malformed', /^force: not an argument of disarm/, 41],
  ['force not a boolean', () => signedMap([...baseFields().slice(0, 2), [2, 'arm_home'], [3, 5], [4, NOW], [6, 1]]), 'malformed', /^force: not a boolean/, 41],
  ['unknown field', () => withField(9, 'partition 2'), 'malformed', /^payload: unknown field 9/, 41],
  ['text keys instead of integer keys', () => signMac0(encodeCbor(new Map<string, unknown>([['v', 1], ['id', 41]])), kidForUser(1), keyOf(1)), 'malformed', /^payload: unknown field v/, undefined],
];

for (const [name, make, reason, detail, id] of refusals) {
  test(`refused: ${name} → ${reason}, nothing changed`, (t) => {
    const panel = new Panel();
    const before = panel.snapshot();
    const wire = make();
    const result = panel.handle(wire);
    t.false(result.ok);
    const refused = result as Refused;
    t.is(refused.reason, reason);
    t.regex(refused.detail, detail);
    t.is(refused.id, id, 'the id is echoed when it can be read');
    t.is(panel.snapshot(), before, 'counters untouched');
  });
}

test('keys are asked for by user number only, and never for a kid that names no user', (t) => {
  const panel = new Panel();
  panel.handle(signMac0(encodeCommand(arm()), text('ops'), keyOf(1)));
  panel.handle(signCommand(arm(), 3, keyOf(3)));
  t.deepEqual(panel.keyCalls, [3]);
});

test('encodeCommand refuses to write a command the panel would refuse', (t) => {
  t.throws(() => encodeCommand({ id: 1, action: 'bypass', args: {}, counter: 1, time: NOW }), { message: /zone: required for bypass/ });
  t.throws(() => encodeCommand({ id: -1, action: 'disarm', args: {}, counter: 1, time: NOW }), { message: /id:/ });
  t.throws(() => signCommand(arm(), 0, keyOf(1)), { message: /user 0/ });
});

test('decodeCommand reads a payload without judging its freshness', (t) => {
  t.deepEqual(decodeCommand(encodeCommand(arm({ counter: 1, time: 0 }))), {
    ok: true, command: { id: 41, action: 'arm_away', args: { force: false }, counter: 1, time: 0 },
  });
});

test('replies round-trip: accepted with the new state, refused with a core reason and zones', (t) => {
  const accepted = { id: 41, ok: true, state: 'arming' };
  t.deepEqual(decodeReply(encodeReply(accepted)), { reply: accepted });
  t.deepEqual([...(decode(encodeReply(accepted)) as Map<number, unknown>)], [[0, 1], [1, 41], [2, true], [5, 'arming']]);
  const zonesOpen = { id: 42, ok: false, reason: 'zones_open', detail: 'zones 2, 5 are open', state: 'disarmed', zones: [2, 5] };
  t.deepEqual(decodeReply(encodeReply(zonesOpen)), { reply: zonesOpen });
  for (const reason of ['not_permitted', 'locked_out']) {
    t.deepEqual(decodeReply(encodeReply({ id: 1, ok: false, reason })), { reply: { id: 1, ok: false, reason } });
  }
});

test('a refusal from authenticateCommand becomes a reply that echoes the id', (t) => {
  const refused = new Panel().handle(signCommand(arm({ time: NOW - 300 }), 1, keyOf(1))) as Refused;
  t.deepEqual(decodeReply(encodeReply(refusalReply(refused))), {
    reply: { id: 41, ok: false, reason: 'stale', detail: 'time: 300 s old, more than 40' },
  });
  const unreadable = new Panel().handle(new Uint8Array([0xff])) as Refused;
  const reply = decodeReply(encodeReply(refusalReply(unreadable)));
  t.like(reply, { reply: { ok: false, reason: 'malformed' } });
  t.false('id' in (reply as { reply: object }).reply, 'no id when none could be read');
});

test('decodeReply names what is wrong with a bad reply', (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [[1, 2], /not a CBOR map/],
    [new Map<number, unknown>([[0, 2], [2, true]]), /^v: 2/],
    [new Map<number, unknown>([[0, 1]]), /^ok: missing/],
    [new Map<number, unknown>([[0, 1], [2, true], [3, 'replay']]), /reason: present on an accepted/],
    [new Map<number, unknown>([[0, 1], [2, false]]), /reason: missing/],
    [new Map<number, unknown>([[0, 1], [2, false], [3, 'Bad Reason']]), /reason: missing or not a snake_case/],
    [new Map<number, unknown>([[0, 1], [2, true], [9, 1]]), /unknown field 9/],
    [new Map<number, unknown>([[0, 1], [2, false], [3, 'zones_open'], [6, [0]]]), /zones:/],
    [new Map<number, unknown>([[0, 1], [2, true], [4, 5]]), /detail: not a text string/],
  ];
  for (const [value, error] of bad) {
    const result = decodeReply(encode(value));
    t.true('error' in result);
    if ('error' in result) t.regex(result.error, error);
  }
  const truncated = decodeReply(new Uint8Array([0xa1]));
  t.regex('error' in truncated ? truncated.error : '', /^reply: malformed CBOR/);
});

test('command.cddl documents every action and refusal reason the code knows', (t) => {
  const cddl = readFileSync(new URL('../../src/uplink/command.cddl', import.meta.url), 'utf8');
  const reasons: AuthRefusal[] = ['malformed', 'bad_mac', 'unknown_key', 'replay', 'stale', 'future', 'unknown_action'];
  for (const word of [...commandActions, ...reasons, 'not_permitted', 'locked_out', 'zones_open']) t.true(cddl.includes(`"${word}"`), word);
});
