// The wire payloads against their contract, src/uplink/wire.cddl: encoded by our code (cbor-x),
// decoded by an independent library (cbor2, in its strict deterministic mode), checked by
// a small CDDL checker that reads the contract file itself (test/uplink/cddl.ts).
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decode as cbor2, cdeDecodeOptions } from 'cbor2';
import { Cddl } from './cddl.ts';
import {
  encodeEvent, decodeEvent, encodeState, decodeState, encodeStatus, decodeStatus, PayloadError,
  ZONE_ALARM_EVENT_MAX_BYTES, WIRE_VERSION, StateEncoder,
} from '../../src/uplink/payloads.ts';
import { ContactId, type PanelEvent } from '../../src/core/events.ts';

const cddl = new Cddl(readFileSync(new URL('../../src/uplink/wire.cddl', import.meta.url), 'utf8'));
/** Independent decoding: cbor2 refuses anything not in deterministic (CDE) form. */
const strict = (bytes: Uint8Array) => cbor2(bytes, { ...cdeDecodeOptions, rejectLongFloats: true } as typeof cdeDecodeOptions);
const codes = Object.values(ContactId);
const MAX_U32 = 2 ** 32 - 1;

const eventArb: fc.Arbitrary<PanelEvent> = fc.record({
  seq: fc.nat({ max: MAX_U32 }),
  boot: fc.nat({ max: 65_535 }),
  uptime: fc.maxSafeNat(),
  time: fc.option(fc.integer({ min: 1_600_000_000, max: MAX_U32 }), { nil: undefined }),
  code: fc.constantFrom(...codes),
  q: fc.constantFrom(1 as const, 3 as const),
  zone: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
  user: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
}, { requiredKeys: ['seq', 'boot', 'uptime', 'code', 'q'] }).map((e) => {
  const out = { ...e } as PanelEvent;
  for (const k of Object.keys(out) as Array<keyof PanelEvent>) if (out[k] === undefined) delete out[k];
  return out;
});

test('the contract parses and names every payload rule', (t) => {
  for (const rule of ['status', 'event', 'state', 'contact-id', 'qualifier', 'mode']) t.true(cddl.rules.has(rule), rule);
});

test('every Contact ID code of the panel is in the contract, and nothing else', (t) => {
  for (const code of codes) t.is(cddl.check('contact-id', code), undefined, `${code}`);
  for (const code of [0, 100, 371, 999]) t.not(cddl.check('contact-id', code), undefined, `${code}`);
});

test('events: valid against the CDDL as cbor2 decodes them, and back to the same event', (t) => {
  fc.assert(fc.property(eventArb, (event) => {
    const bytes = encodeEvent(event);
    const independent = strict(bytes);
    const why = cddl.check('event', independent);
    if (why) throw new Error(why);
    t.deepEqual(decodeEvent(bytes), event);
  }), { numRuns: 500 });
  t.pass();
});

test(`a zone alarm event is at most ${ZONE_ALARM_EVENT_MAX_BYTES} bytes, even with the largest values`, (t) => {
  const worst: PanelEvent = { seq: MAX_U32, boot: MAX_U32, uptime: Number.MAX_SAFE_INTEGER, time: MAX_U32, code: ContactId.burglary, q: 1, zone: 255 };
  const typical: PanelEvent = { seq: 4711, boot: 12, uptime: 86_400_000, time: 1_767_225_600, code: ContactId.burglary, q: 1, zone: 3 };
  const sizes = [worst, typical].map((e) => encodeEvent(e).length);
  t.log(`zone alarm event: ${sizes[1]} bytes typical, ${sizes[0]} bytes worst case; the same as JSON: ${JSON.stringify(typical).length} bytes`);
  t.true(sizes[0] <= ZONE_ALARM_EVENT_MAX_BYTES);
  fc.assert(fc.property(eventArb, (e) => {
    const alarm = { ...e, code: ContactId.burglary, zone: e.zone ?? 1, user: undefined };
    delete alarm.user;
    return encodeEvent(alarm).length <= ZONE_ALARM_EVENT_MAX_BYTES;
  }), { numRuns: 300 });
});

test('uptime past 2^32 ms (49.7 days) stays an integer on the wire', (t) => {
  const bytes = encodeEvent({ seq: 1, boot: 1, uptime: 2 ** 40, code: ContactId.testReport, q: 1 });
  const map = strict(bytes) as Map<number, unknown>;
  t.is(typeof map.get(3) === 'number' || typeof map.get(3) === 'bigint', true);
  t.is(Number(map.get(3)), 2 ** 40);
  t.is(bytes[bytes.indexOf(0x03) + 1], 0x1b, 'a uint64, not a float');
});

test('the CDDL checker refuses what the contract forbids', (t) => {
  const good = strict(encodeEvent({ seq: 9, boot: 1, uptime: 5, code: ContactId.tamper, q: 1, zone: 2 })) as Map<number, unknown>;
  t.is(cddl.check('event', good), undefined);
  const bad = (what: string, edit: (m: Map<number, unknown>) => void) => {
    const m = new Map(good);
    edit(m);
    t.not(cddl.check('event', m), undefined, what);
  };
  bad('no seq', (m) => m.delete(1));
  bad('no version', (m) => m.delete(0));
  bad('version 2', (m) => m.set(0, 2));
  bad('an unknown code', (m) => m.set(5, 999));
  bad('qualifier 2', (m) => m.set(6, 2));
  bad('zone 0', (m) => m.set(7, 0));
  bad('seq as text', (m) => m.set(1, '9'));
  bad('time as a negative number', (m) => m.set(4, -1));
  bad('a text key', (m) => m.set('x' as unknown as number, 1));
  t.is(cddl.check('event', new Map([...good, [9, 'later addition']])), undefined, 'a later key within version 1 is allowed');
  t.not(cddl.check('state', { mode: 'disarmed' }), undefined, 'a state without v');
  t.not(cddl.check('state', { v: 1, mode: 'armed' }), undefined, 'a mode that does not exist');
  t.not(cddl.check('status', 'on-line'), undefined, 'a status that does not exist');
});

const stateValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.integer(), fc.maxSafeInteger(), fc.string(), fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
})).value;
const modes = ['disarmed', 'arming', 'armed_away', 'armed_home', 'armed_night', 'pending', 'triggered'];
const stateArb = fc.record({
  mode: fc.constantFrom(...modes),
  rest: fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== 'v' && k !== 'mode' && k !== '__proto__'), stateValue, { maxKeys: 6 }),
}).map(({ mode, rest }) => ({ ...rest, mode }));

test('state snapshots: valid against the CDDL, deterministic, and back to the same object', (t) => {
  fc.assert(fc.property(stateArb, (state) => {
    const bytes = encodeState(state);
    const why = cddl.check('state', strict(bytes));
    if (why) throw new Error(why);
    const reordered = Object.fromEntries(Object.entries(state).reverse());
    t.deepEqual(encodeState(reordered), bytes, 'insertion order does not change the bytes');
    t.deepEqual(decodeState(bytes), { v: WIRE_VERSION, ...state });
  }), { numRuns: 300 });
  t.pass();
});

test('a snapshot shaped as the core describes it', (t) => {
  const state = {
    mode: 'armed_away', open: [3], bypassed: [7], memory: [3], faults: ['siren circuit open'],
    ready: { armed_away: false, armed_home: true }, zones: { 1: 'closed', 3: 'open' },
  };
  const bytes = encodeState(state);
  t.is(cddl.check('state', strict(bytes)), undefined);
  t.log(`state snapshot: ${bytes.length} bytes (JSON: ${JSON.stringify(state).length})`);
});

test('status is plain UTF-8 "online" / "offline"', (t) => {
  for (const s of ['online', 'offline'] as const) {
    const bytes = encodeStatus(s);
    t.is(new TextDecoder().decode(bytes), s);
    t.is(cddl.check('status', new TextDecoder().decode(bytes)), undefined);
    t.is(decodeStatus(bytes), s);
  }
  t.throws(() => decodeStatus(new TextEncoder().encode('online!')), { instanceOf: PayloadError });
  t.throws(() => decodeStatus(new Uint8Array([0xa1, 0x01, 0x02])), { message: /online.*offline/ });
});

test('invalid events are refused with a specific error', (t) => {
  const base: PanelEvent = { seq: 1, boot: 1, uptime: 1, code: ContactId.burglary, q: 1 };
  const refuse = (edit: Partial<Record<keyof PanelEvent, unknown>>, message: RegExp) =>
    t.throws(() => encodeEvent({ ...base, ...edit } as PanelEvent), { instanceOf: PayloadError, message });
  refuse({ seq: -1 }, /seq must be an integer/);
  refuse({ uptime: 1.5 }, /uptime must be an integer/);
  refuse({ code: 999 as never }, /999 is not a Contact ID code/);
  refuse({ q: 2 as never }, /qualifier must be 1 or 3/);
  refuse({ zone: 0 }, /zone must be an integer ≥ 1/);
  refuse({ time: Number.NaN }, /time must be Unix seconds/);
});

test('bad event bytes are refused with a specific error', (t) => {
  const refuse = (bytes: number[], message: RegExp) => t.throws(() => decodeEvent(new Uint8Array(bytes)), { instanceOf: PayloadError, message });
  refuse([], /empty CBOR/);
  refuse([0xa2, 0x01], /malformed CBOR/);
  refuse([0x83, 1, 2, 3], /expected a CBOR map/);
  refuse([0xa1, 0x00, 0x02], /unsupported version 2/);
  refuse([0xa1, 0x01, 0x05], /no version/);
  refuse([0xa2, 0x00, 0x01, 0x01, 0x05], /boot|code|q|uptime/);
});

test('the state encoder gives encodeState\'s bytes, snapshot after snapshot, whatever changed', (t) => {
  // One encoder over a run of states: each the previous one with some values replaced, and the
  // caller's own objects changed in place between encodes (nothing kept may go stale).
  const edit = fc.tuple(fc.string({ minLength: 1 }).filter((k) => k !== 'v' && k !== '__proto__'), stateValue);
  fc.assert(fc.property(stateArb, fc.array(fc.tuple(fc.array(edit, { maxLength: 3 }), fc.nat(), stateValue), { maxLength: 8 }), (first, steps) => {
    const encoder = new StateEncoder();
    const state: Record<string, unknown> = { ...first, zones: [{ zone: 1, open: false }, { zone: 2, open: false, name: 'x' }] };
    const check = () => {
      const got = encoder.encode(state);
      const want = encodeState(state);
      if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) throw new Error(`bytes differ for ${JSON.stringify(state)}`);
    };
    check();
    for (const [edits, n, value] of steps) {
      for (const [k, v] of edits) state[k] = v;
      const zones = state.zones as Array<Record<string, unknown>>;
      if (Array.isArray(zones) && zones.length > 0 && typeof zones[0] === 'object' && zones[0] !== null) {
        const z = zones[n % zones.length];
        if (z && typeof z === 'object' && !Object.isFrozen(z)) z.open = !z.open; // in place
      }
      const list = Object.values(state).find((v) => Array.isArray(v)) as unknown[] | undefined;
      if (list && list.length > 0) list[n % list.length] = value; // an array item replaced in place
      check();
    }
  }), { numRuns: 300 });
  t.pass();
});

test('the state encoder with hints (the panel\'s zones): a new hint for every changed item, encodeState\'s bytes every time', (t) => {
  // Items change only together with their hint (a new object), as the core's copied-on-write zone
  // states do; some items get no hint and are compared instead; items come and go.
  const itemArb = fc.record({ zone: fc.integer({ min: 1, max: 64 }), name: fc.string({ maxLength: 6 }), open: fc.boolean(), memory: fc.boolean() });
  const stepArb = fc.tuple(fc.nat(), itemArb, fc.boolean(), fc.constantFrom('change', 'change', 'add', 'remove', 'same'), fc.constantFrom('disarmed', 'triggered'));
  fc.assert(fc.property(fc.array(itemArb, { minLength: 1, maxLength: 6 }), fc.array(stepArb, { maxLength: 12 }), (first, steps) => {
    const encoder = new StateEncoder();
    let zones = first.map((z) => Object.freeze({ ...z }));
    let hints: Array<object | undefined> = zones.map(() => ({}));
    let mode = 'disarmed';
    const check = () => {
      const state = { mode, siren: mode === 'triggered', zones };
      const got = encoder.encode(state, { zones: hints });
      if (Buffer.compare(Buffer.from(got), Buffer.from(encodeState(state))) !== 0) throw new Error(`bytes differ for ${JSON.stringify(state)}`);
    };
    check();
    for (const [n, item, hinted, what, m] of steps) {
      mode = m;
      const i = n % Math.max(1, zones.length);
      zones = [...zones];
      hints = [...hints];
      if (what === 'change' && zones.length > 0) { zones[i] = Object.freeze({ ...item }); hints[i] = hinted ? {} : undefined; }
      if (what === 'add') { zones.splice(i, 0, Object.freeze({ ...item })); hints.splice(i, 0, hinted ? {} : undefined); }
      if (what === 'remove') { zones.splice(i, 1); hints.splice(i, 1); }
      check();
    }
  }), { numRuns: 300 });
  t.pass();
});

test('the state encoder writes texts as cbor-x does: ASCII of every head size, and any other text', (t) => {
  // ASCII is written by the encoder itself (head + bytes); anything else goes to cbor-x.
  const same = (state: Record<string, unknown>, encoder = new StateEncoder()) =>
    Buffer.compare(Buffer.from(encoder.encode(state)), Buffer.from(encodeState(state))) === 0;
  for (const n of [0, 1, 23, 24, 255, 256, 300, 65535, 65536]) {
    const text = 'x'.repeat(n);
    t.true(same({ mode: text, zones: [{ name: text }] }), `${n} ASCII characters`);
  }
  for (const text of ['é', 'Küche', '日本', '🚪 door', '\u0000', '\u007f', '\u0080', '\ud800', 'a\udfffb']) {
    t.true(same({ mode: text, zones: [{ name: text }], ready: { [text]: [text] } }), JSON.stringify(text));
  }
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 5 }), (texts) => {
    const encoder = new StateEncoder();
    for (const text of texts) if (!same({ mode: text, zones: texts.map((name) => ({ name })) }, encoder)) throw new Error(`bytes differ for ${JSON.stringify(texts)}`);
  }), { numRuns: 300 });
});

test('bad states are refused with a specific error', (t) => {
  t.throws(() => encodeState({ v: 2 }), { message: /must not carry its own "v"/ });
  t.throws(() => encodeState({ x: () => 1 }), { message: /state.x: a function cannot go on the wire/ });
  t.throws(() => encodeState({ x: Number.POSITIVE_INFINITY }), { message: /state.x: Infinity is not a finite number/ });
  t.throws(() => encodeState({ when: new Date(0) }), { message: /only plain objects/ });
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 20; i++) { at.x = {}; at = at.x as Record<string, unknown>; }
  t.throws(() => encodeState(deep), { message: /nested deeper than 16/ });
  // The state encoder refuses the same, with the same words.
  const encoder = new StateEncoder();
  t.throws(() => encoder.encode({ v: 2 }), { message: /must not carry its own "v"/ });
  t.throws(() => encoder.encode({ x: () => 1 }), { message: /state.x: a function cannot go on the wire/ });
  t.throws(() => encoder.encode({ zones: [{ a: 1 }, { x: Number.POSITIVE_INFINITY }] }), { message: /state.zones\[1\].x: Infinity is not a finite number/ });
  t.throws(() => encoder.encode({ when: new Date(0) }), { message: /only plain objects/ });
  t.throws(() => encoder.encode(deep), { message: /nested deeper than 16/ });
  t.deepEqual(encoder.encode({ mode: 'disarmed' }), encodeState({ mode: 'disarmed' }), 'and goes on after a refusal');
});
