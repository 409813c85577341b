// The uplink authenticated with the panel's uplink key, on Node and inside XS: every event,
// state, nonce, reply and log chunk in a COSE_Mac0 (HMAC 256/64) whose payload is the bytes the
// encoders made; replies bound to the command they answer; a zone alarm within 48 bytes.
import { defineScenarios } from '../../hosts/xs/probe';
import { signCommand, decodeReply } from '../../src/uplink/commands';
import { decodeEvent, encodeEvent, decodeState } from '../../src/uplink/payloads';
import { openUplink, sealUplink, uplinkAad, type UplinkKind } from '../../src/uplink/uplink-auth';
import { COSE_MAC0_TAG, macStructure } from '../../src/uplink/cose';
import { encodeCbor } from '../../src/uplink/cbor';
import { hmacSha256 } from '../../src/hash';
import { Tag } from 'cbor-x';
import { decodeNonceMessage } from '../../src/uplink/nonce';
import { bootUplinkPanel, exportLongLog, NOW, T, remoteKey, uplinkKey } from './uplink-panel';

const boot = () => bootUplinkPanel();

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
/** Where two byte strings first differ (their lengths, if one is the other's start); -1: the same. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

export default defineScenarios('uplink auth', {
  'the COSE_Mac0 framed by hand is cbor-x\'s own encoding, its MAC over cbor-x\'s MAC_structure, at every head size': (t) => {
    const key = uplinkKey();
    const command = new Uint8Array(300).fill(7); // a reply's AAD past 256 bytes
    const cases: Array<[string, UplinkKind, Uint8Array | undefined]> = [['p1', 'event', undefined], ['x'.repeat(40), 'state', undefined], ['p1', 'reply', command]];
    let compared = 0;
    for (const length of [0, 1, 23, 24, 255, 256, 65_535, 65_536]) {
      const payload = new Uint8Array(length);
      for (let i = 0; i < length; i++) payload[i] = (i * 31 + 7) & 0xff;
      for (const [panel, kind, cmd] of cases) {
        const aad = uplinkAad(panel, kind, cmd);
        const tag = hmacSha256(key, macStructure(new Uint8Array(0), payload, aad)).slice(0, 8);
        const expected = encodeCbor(new Tag([new Uint8Array(0), new Map(), payload, tag], COSE_MAC0_TAG));
        const sealed = sealUplink(payload, key, panel, kind, cmd);
        if (firstDifference(sealed, expected) !== -1) return t.is(firstDifference(sealed, expected), -1, `${length} bytes, ${kind}: the first byte that differs`);
        compared++;
      }
    }
    t.is(compared, 24, 'every payload size and AAD gave cbor-x\'s bytes');
    t.is(hex(hmacSha256(key, Uint8Array.of(1, 2), Uint8Array.of(3))), hex(hmacSha256(key, Uint8Array.of(1, 2, 3))), 'an HMAC over parts is the HMAC of their concatenation');
  },

  'every event, the state and the nonce verify with the uplink key, bound to the panel and the topic': (t) => {
    const s = boot();
    const events = s.broker.eventsOn(T('event'));
    t.ok(events.length > 0, 'events went out');
    for (const e of events) {
      const opened = openUplink(e.payload, uplinkKey(), 'p1', 'event');
      t.is(opened.ok, true, `event verifies (${e.payload.length} bytes)`);
      if (opened.ok) t.log('event', decodeEvent(opened.payload));
    }
    const state = openUplink(s.broker.retained.get(T('state'))!, uplinkKey(), 'p1', 'state');
    t.is(state.ok && decodeState(state.payload).mode, 'disarmed', 'the state verifies');
    const nonce = openUplink(s.broker.retained.get(T('nonce'))!, uplinkKey(), 'p1', 'nonce');
    t.is(nonce.ok && 'message' in decodeNonceMessage(nonce.payload), true, 'the nonce verifies');
    const moved = openUplink(events[0].payload, uplinkKey(), 'p1', 'state');
    t.is(moved.ok ? 'ok' : moved.detail, 'MAC does not match', 'an event replayed as a state does not verify');
    const other = openUplink(events[0].payload, uplinkKey(), 'p2', 'event');
    t.is(other.ok ? 'ok' : other.detail, 'MAC does not match', "another panel's event does not verify");
    t.is(s.broker.retained.get(T('status')) !== undefined, true, 'status stays plain text');
  },

  'a reply verifies only against the command it answers': (t) => {
    const s = boot();
    const cmd = s.send({ id: 7, action: 'arm_away', args: { force: false }, counter: 1, time: NOW + 1 });
    const [reply] = s.broker.published.filter((p) => p.topic === T('reply'));
    const opened = openUplink(reply.payload, uplinkKey(), 'p1', 'reply', cmd);
    t.is(opened.ok && decodeReply(opened.payload), { reply: { id: 7, ok: true, state: 'arming' } }, 'verified');
    const other = signCommand({ id: 7, action: 'arm_away', args: { force: false }, counter: 2, time: NOW + 1 }, 1, remoteKey());
    const wrong = openUplink(reply.payload, uplinkKey(), 'p1', 'reply', other);
    t.is(wrong.ok ? 'ok' : wrong.detail, 'MAC does not match', 'not the reply to another command with the same id');
  },

  'a zone alarm with its authentication is at most 48 bytes (seq < 2^32, boot < 2^16, zone < 256, uptime < 2^32 ms)': (t) => {
    const cases = [
      { seq: 1234, boot: 12, uptime: 259_200_000, time: 1_795_775_303, code: 134 as const, q: 1 as const, zone: 3 },
      { seq: 2 ** 32 - 1, boot: 65_535, uptime: 2 ** 32 - 1, time: 2 ** 32 - 1, code: 130 as const, q: 1 as const, zone: 255 },
    ];
    for (const e of cases) {
      const bare = encodeEvent(e);
      const sealed = sealUplink(bare, uplinkKey(), 'p1', 'event');
      t.log('sizes', [bare.length, sealed.length]);
      t.ok(sealed.length <= 48, `${sealed.length} bytes`);
    }
  },

  'log chunks are authenticated and still fit the broker packet size': (t) => {
    const { cmd, chunks, sizes } = exportLongLog(boot());
    t.ok(chunks.length > 1, `${chunks.length} chunks`);
    t.ok(chunks.every((c) => openUplink(c.payload, uplinkKey(), 'p1', 'log', cmd).ok), 'each verifies against the command');
    t.ok(Math.max(...sizes) <= 256, `every packet fits 256 bytes (largest ${Math.max(...sizes)})`);
  },
});
