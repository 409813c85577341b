// COSE_Mac0 against RFC 9052 and against implementations that share no code with ours:
// cose-js (with the `cbor` package and Node's HMAC) and cbor2.
import test from 'ava';
import { createHmac } from 'node:crypto';
import cose from 'cose-js';
import { encode, decode, Tag } from 'cbor2';
import { signMac0, verifyMac0, macStructure, type Mac0Refusal } from '../../src/uplink/cose.ts';
import { keyOf } from './fixtures.ts';

const key = keyOf(1);
const otherKey = keyOf(2);
const kid = new Uint8Array([0x31]); // "1"
const keyFor = (k: Uint8Array) => (k.length === 1 && k[0] === 0x31 ? key : undefined);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Payload sizes either side of CBOR's length-header steps (23/24, 255/256 bytes).
const payloads = [0, 1, 23, 24, 255, 256].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));

test('signMac0 writes the RFC 9052 layout: tag 17, [h\'a10105\', {4: kid}, payload, 32-byte HMAC]', (t) => {
  for (const payload of payloads) {
    const wire = signMac0(payload, kid, key);
    const item = decode(wire) as Tag;
    t.true(item instanceof Tag, 'a tagged item (cbor2)');
    t.is(Number(item.tag), 17);
    const [prot, unprot, body, mac] = item.contents as [Uint8Array, Map<number, Uint8Array>, Uint8Array, Uint8Array];
    t.is(hex(prot), 'a10105', 'protected header {1: 5} as a byte string');
    t.deepEqual([...unprot.keys()], [4], 'only kid in the unprotected header');
    t.is(hex(unprot.get(4)!), '31');
    t.is(hex(body), hex(payload));
    // MAC_structure assembled by hand, byte by byte: 84 (array of 4), 64 "MAC0", 43 a10105, 40 (empty AAD), payload bstr.
    const head = payload.length < 24 ? [0x40 + payload.length]
      : payload.length < 256 ? [0x58, payload.length] : [0x59, payload.length >> 8, payload.length & 0xff];
    const toBeMaced = new Uint8Array([0x84, 0x64, 0x4d, 0x41, 0x43, 0x30, 0x43, 0xa1, 0x01, 0x05, 0x40, ...head, ...payload]);
    t.is(hex(macStructure(prot, payload)), hex(toBeMaced), `MAC_structure for a ${payload.length}-byte payload`);
    t.is(hex(mac), createHmac('sha256', key).update(toBeMaced).digest('hex'), 'tag = HMAC-SHA-256 (Node crypto) of MAC_structure');
  }
});

test('cose-js verifies what signMac0 writes, and refuses it under another key', async (t) => {
  for (const payload of payloads) {
    const wire = signMac0(payload, kid, key);
    t.is(hex(await cose.mac.read(Buffer.from(wire), Buffer.from(key))), hex(payload));
    await t.throwsAsync(cose.mac.read(Buffer.from(wire), Buffer.from(otherKey)), { message: /Tag mismatch/ });
  }
});

test('verifyMac0 accepts COSE_Mac0 made by cose-js (alg SHA-256 = 5, kid unprotected)', async (t) => {
  for (const payload of payloads) {
    const wire = await cose.mac.create({ p: { alg: 'SHA-256' }, u: { kid: '1' } }, Buffer.from(payload), { key: Buffer.from(key) });
    const result = verifyMac0(new Uint8Array(wire), keyFor);
    t.true(result.ok, `a ${payload.length}-byte payload`);
    if (result.ok) {
      t.is(hex(result.kid), '31');
      t.is(hex(result.payload), hex(payload));
    }
  }
});

test('verifyMac0 accepts a kid in the protected header (cose-js) too', async (t) => {
  const wire = await cose.mac.create({ p: { alg: 'SHA-256', kid: '1' } }, Buffer.from([1, 2, 3]), { key: Buffer.from(key) });
  const result = verifyMac0(new Uint8Array(wire), keyFor);
  t.true(result.ok);
});

/** A COSE_Mac0 assembled with cbor2, each part replaceable, MAC computed with Node's crypto. */
function envelope(parts: { tagNumber?: number; prot?: unknown; unprot?: unknown; payload?: unknown; mac?: unknown; protBytes?: Uint8Array } = {}) {
  const prot = parts.protBytes ?? encode(parts.prot ?? new Map([[1, 5]]));
  const payload = 'payload' in parts ? parts.payload : new Uint8Array([0xa0]);
  const mac = 'mac' in parts ? parts.mac
    : new Uint8Array(createHmac('sha256', key).update(encode(['MAC0', prot, new Uint8Array(0), payload])).digest());
  return encode(new Tag(parts.tagNumber ?? 17, [prot, parts.unprot ?? new Map([[4, kid]]), payload, mac]));
}

const partsOf = (wire: Uint8Array) => (decode(wire) as Tag).contents as unknown[];

test('the envelope assembled independently verifies (the baseline for the refusals below)', (t) => {
  t.like(verifyMac0(envelope(), keyFor), { ok: true });
});

const refusals: Array<[string, () => Uint8Array, Mac0Refusal, RegExp]> = [
  ['empty input', () => new Uint8Array(0), 'malformed', /^empty CBOR$/],
  ['garbage', () => bytes('ff00ff00'), 'malformed', /^malformed CBOR: /],
  ['truncated', () => envelope().subarray(0, 40), 'malformed', /^malformed CBOR: Unexpected end/],
  ['trailing bytes', () => new Uint8Array([...envelope(), 0]), 'malformed', /^expected one CBOR item, found 2/],
  ['untagged', () => encode(partsOf(envelope())), 'malformed', /not a tagged COSE_Mac0/],
  ['tag 18 (COSE_Sign1)', () => envelope({ tagNumber: 18 }), 'malformed', /CBOR tag 18, not 17/],
  ['tag 97 (COSE_Mac)', () => envelope({ tagNumber: 97 }), 'malformed', /CBOR tag 97, not 17/],
  ['an array of 5', () => encode(new Tag(17, [encode(new Map([[1, 5]])), new Map([[4, kid]]), new Uint8Array(0), new Uint8Array(32), []])), 'malformed', /array of 4/],
  ['alg 4 (HMAC 256/64)', () => envelope({ prot: new Map([[1, 4]]) }), 'malformed', /alg: 4 is not 5/],
  ['alg -7 (ES256)', () => envelope({ prot: new Map([[1, -7]]) }), 'malformed', /alg: -7 is not 5/],
  ['alg missing (empty protected header)', () => envelope({ protBytes: new Uint8Array(0) }), 'malformed', /alg: missing/],
  ['alg only unprotected', () => envelope({ protBytes: new Uint8Array(0), unprot: new Map<number, unknown>([[1, 5], [4, kid]]) }), 'malformed', /alg: missing/],
  ['alg in both headers', () => envelope({ unprot: new Map<number, unknown>([[1, 5], [4, kid]]) }), 'malformed', /parameter 1 is both/],
  ['crit', () => envelope({ prot: new Map<number, unknown>([[1, 5], [2, [4]]]) }), 'malformed', /crit/],
  ['protected header not a map', () => envelope({ protBytes: encode([1, 5]) }), 'malformed', /protected header is not a CBOR map/],
  ['protected header a text string', () => encode(new Tag(17, ['a10105', new Map([[4, kid]]), new Uint8Array(0), new Uint8Array(32)])), 'malformed', /protected header is not a byte string/],
  ['unprotected header not a map', () => envelope({ unprot: [4, kid] }), 'malformed', /unprotected header is not a map/],
  ['kid missing', () => envelope({ unprot: new Map() }), 'malformed', /kid: missing/],
  ['kid a text string', () => envelope({ unprot: new Map([[4, '1']]) }), 'malformed', /kid: not a byte string/],
  ['detached payload', () => envelope({ payload: null }), 'malformed', /detached/],
  ['payload a text string', () => envelope({ payload: 'arm' }), 'malformed', /payload: not a byte string/],
  ['tag 31 bytes', () => envelope({ mac: new Uint8Array(31) }), 'malformed', /tag: 31 bytes/],
  ['tag 33 bytes', () => envelope({ mac: new Uint8Array(33) }), 'malformed', /tag: 33 bytes/],
  ['tag missing (nil)', () => envelope({ mac: null }), 'malformed', /tag: not a byte string/],
  ['unknown kid', () => envelope({ unprot: new Map([[4, new Uint8Array([0x39])]]) }), 'unknown_key', /no key/],
  ['bad MAC (one bit)', () => { const e = envelope(); e[e.length - 1] ^= 1; return e; }, 'bad_mac', /MAC does not match/],
  ['bad MAC (payload changed)', () => envelope({ payload: new Uint8Array([0xa1, 0, 1]), mac: partsOf(envelope())[3] }), 'bad_mac', /MAC does not match/],
  // The MAC covers the protected header's bytes as sent: a different encoding of {1: 5} is another message.
  ['bad MAC (protected header re-encoded, same meaning)', () => envelope({ protBytes: bytes('a1011805'), mac: partsOf(envelope())[3] }), 'bad_mac', /MAC does not match/],
];

for (const [name, make, reason, detail] of refusals) {
  test(`refused: ${name} → ${reason}`, (t) => {
    const wire = make();
    const before = hex(wire);
    const result = verifyMac0(wire, keyFor);
    t.false(result.ok);
    if (!result.ok) {
      t.is(result.reason, reason);
      t.regex(result.detail, detail);
    }
    t.is(hex(wire), before, 'the input is left as it was');
  });
}

test('a refusal never reveals the key, only that the MAC failed', (t) => {
  const e = envelope();
  e[e.length - 1] ^= 1;
  const text = JSON.stringify(verifyMac0(e, keyFor));
  t.false(text.includes(hex(key)));
  t.false(text.includes(Buffer.from(key).toString('base64')));
});

test('the cose-js command in the XS scenario is what cose-js makes today', async (t) => {
  const { COSE_JS_COMMAND, SCENARIO_NOW, scenarioKey } = await import('../scenarios/commands-cose.scenario.ts');
  const payload = encode(new Map<number, unknown>([[0, 1], [1, 300], [2, 'bypass'], [3, 12], [4, SCENARIO_NOW - 5], [5, 4]]));
  const wire = await cose.mac.create({ p: { alg: 'SHA-256' }, u: { kid: '2' } }, Buffer.from(payload), { key: Buffer.from(scenarioKey(2)) });
  t.is(hex(wire), COSE_JS_COMMAND);
});
