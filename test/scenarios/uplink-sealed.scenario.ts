// Sealed mode, on Node and inside XS: with `sealed: true` every event, state, nonce, reply and log
// chunk leaves as a COSE_Encrypt0 (ChaCha20-Poly1305, key derived from the uplink key, external
// AAD binding panel and topic): it opens with the uplink key, the broker's bytes hold none of the
// content, a changed byte or a moved message does not open, and no IV is used twice.
import { defineScenarios } from '../../hosts/xs/probe';
import { MemoryStorage } from '../../hosts/xs/memory-storage';
import { signCommand, decodeReply } from '../../src/uplink/commands';
import { COSE_ENCRYPT0_TAG } from '../../src/uplink/cose';
import { decodeCbor } from '../../src/uplink/cbor';
import { decodeEvent, encodeEvent, decodeState } from '../../src/uplink/payloads';
import { encryptUplinkFor, openUplink, sealedKey, UplinkIvs } from '../../src/uplink/uplink-auth';
import { bootUplinkPanel, exportLongLog, NOW, T, remoteKey, uplinkKey } from './uplink-panel';

const boot = (storage?: MemoryStorage) => bootUplinkPanel({ sealed: true, storage });

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const ivOf = (sealed: Uint8Array) => hex(((decodeCbor(sealed) as { value: unknown[] }).value[1] as Map<number, Uint8Array>).get(5)!);
const contains = (hay: Uint8Array, needle: Uint8Array) => hex(hay).includes(hex(needle));

export default defineScenarios('uplink sealed', {
  'events, state and nonce are COSE_Encrypt0, open with the uplink key, and show the broker none of their CBOR': (t) => {
    const s = boot();
    const events = s.broker.eventsOn(T('event'));
    t.ok(events.length > 0, 'events went out');
    for (const e of events) {
      t.is(e.payload[0], 0xc0 + COSE_ENCRYPT0_TAG, 'tag 16 (COSE_Encrypt0)');
      const opened = openUplink(e.payload, uplinkKey(), 'p1', 'event');
      t.is(opened.ok, true, `event opens (${e.payload.length} bytes)`);
      if (!opened.ok) continue;
      t.log('event', decodeEvent(opened.payload));
      t.is(contains(e.payload, opened.payload), false, 'the event CBOR is not on the wire');
      t.is(contains(e.payload, opened.payload.subarray(0, 6)), false, 'not even its first 6 bytes');
    }
    const state = openUplink(s.broker.retained.get(T('state'))!, uplinkKey(), 'p1', 'state');
    t.is(state.ok && decodeState(state.payload).mode, 'disarmed', 'the state opens');
    t.is(contains(s.broker.retained.get(T('state'))!, new TextEncoder().encode('disarmed')), false, 'no "disarmed" on the wire');
    const nonce = openUplink(s.broker.retained.get(T('nonce'))!, uplinkKey(), 'p1', 'nonce');
    t.is(nonce.ok, true, 'the nonce opens');
  },

  'sealed mode turned off and on again: the retained state and nonce are published again in the new form': (t) => {
    const s = boot();
    const form = () => [s.broker.retained.get(T('state'))![0], s.broker.retained.get(T('nonce'))![0]];
    t.is(form(), [0xd0, 0xd0], 'sealed (COSE_Encrypt0)');
    const { sealed: _on, ...plain } = s.panel.config();
    s.panel.reconfigure(plain);
    s.host.runTo(s.panel, s.host.uptimeMs + 10);
    t.is(form(), [0xd1, 0xd1], 'authenticated only (COSE_Mac0)');
    s.panel.reconfigure({ ...plain, sealed: true });
    s.host.runTo(s.panel, s.host.uptimeMs + 10);
    t.is(form(), [0xd0, 0xd0], 'sealed again: no readable state left retained');
  },

  'a changed byte, another topic, another panel or another key: nothing opens': (t) => {
    const s = boot();
    const [event] = s.broker.eventsOn(T('event'));
    let opened = 0;
    for (let i = 0; i < event.payload.length; i++) {
      const mutant = event.payload.slice();
      mutant[i] ^= 0x01;
      if (openUplink(mutant, uplinkKey(), 'p1', 'event').ok) opened++;
    }
    t.is(opened, 0, `none of ${event.payload.length} one-bit changes opens`);
    const moved = openUplink(event.payload, uplinkKey(), 'p1', 'state');
    t.is(moved.ok ? 'ok' : moved.detail, 'does not decrypt (tag does not match)', 'an event replayed as a state does not open');
    const other = openUplink(event.payload, uplinkKey(), 'p2', 'event');
    t.is(other.ok ? 'ok' : other.detail, 'does not decrypt (tag does not match)', "not as another panel's event");
    const wrongKey = openUplink(event.payload, new Uint8Array(32).fill(0x24), 'p1', 'event');
    t.is(wrongKey.ok, false, 'not with another key');
    // The broker forges with a guessed key, as well as it can without ours.
    const forged = encryptUplinkFor(encodeEvent({ seq: 99, boot: 1, uptime: 5, code: 130, q: 1, zone: 1 }), sealedKey(new Uint8Array(32), 'p1'),
      new UplinkIvs(1, new Uint8Array(4)).next(), 'p1', 'event');
    t.is(openUplink(forged, uplinkKey(), 'p1', 'event').ok, false, 'a forgery under a guessed key does not open');
  },

  'a reply opens only against the command it answers': (t) => {
    const s = boot();
    const cmd = s.send({ id: 7, action: 'arm_away', args: { force: false }, counter: 1, time: NOW + 1 });
    const [reply] = s.broker.published.filter((p) => p.topic === T('reply'));
    t.is(reply.payload[0], 0xd0, 'sealed');
    const opened = openUplink(reply.payload, uplinkKey(), 'p1', 'reply', cmd);
    t.is(opened.ok && decodeReply(opened.payload), { reply: { id: 7, ok: true, state: 'arming' } }, 'opened');
    const other = signCommand({ id: 7, action: 'arm_away', args: { force: false }, counter: 2, time: NOW + 1 }, 1, remoteKey());
    t.is(openUplink(reply.payload, uplinkKey(), 'p1', 'reply', other).ok, false, 'not against another command with the same id');
  },

  'no IV twice: every message of a boot has its own, and the next boot starts from its boot count': (t) => {
    const first = boot();
    for (let i = 0; i < 5; i++) first.send({ id: 10 + i, action: i % 2 === 0 ? 'arm_away' : 'disarm', args: {}, counter: i + 1, time: NOW + 1 });
    const all = first.broker.published.filter((p) => p.payload[0] === 0xd0).map((p) => ivOf(p.payload));
    t.ok(all.length >= 10, `${all.length} sealed messages`);
    t.is(new Set(all).size, all.length, 'all IVs distinct');
    const again = boot(first.storage); // a reboot: same flash, boot count + 1
    const next = again.broker.published.filter((p) => p.payload[0] === 0xd0).map((p) => ivOf(p.payload));
    t.is(next.some((iv) => all.includes(iv)), false, 'none reused after the reboot');
    t.is([all[0].slice(0, 8), next[0].slice(0, 8)], ['00000001', '00000002'], 'the IV starts with the boot count');
  },

  'sizes: a zone alarm sealed is its CBOR + 36 bytes; log chunks still fit the broker packet size': (t) => {
    const cases = [
      { seq: 1234, boot: 12, uptime: 259_200_000, time: 1_795_775_303, code: 134 as const, q: 1 as const, zone: 3 },
      { seq: 2 ** 32 - 1, boot: 65_535, uptime: 2 ** 32 - 1, time: 2 ** 32 - 1, code: 130 as const, q: 1 as const, zone: 255 },
    ];
    const key = sealedKey(uplinkKey(), 'p1');
    for (const e of cases) {
      const bare = encodeEvent(e);
      const sealed = encryptUplinkFor(bare, key, new UplinkIvs(e.boot, new Uint8Array(4)).next(), 'p1', 'event');
      t.log('zone alarm sizes [CBOR, sealed]', [bare.length, sealed.length]);
      t.is(sealed.length - bare.length, 36, `${sealed.length} bytes`);
    }
    const { cmd, chunks, sizes } = exportLongLog(boot());
    t.ok(chunks.length > 1, `${chunks.length} chunks`);
    t.ok(chunks.every((c) => openUplink(c.payload, uplinkKey(), 'p1', 'log', cmd).ok), 'each opens against the command');
    t.ok(Math.max(...sizes) <= 256, `every packet fits 256 bytes (largest ${Math.max(...sizes)})`);
  },
});
