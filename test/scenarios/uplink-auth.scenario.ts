// The uplink authenticated with the panel's uplink key, on Node and inside XS: every event,
// state, nonce, reply and log chunk in a COSE_Mac0 (HMAC 256/64) whose payload is the bytes the
// encoders made; replies bound to the command they answer; a zone alarm within 48 bytes.
import { defineScenarios } from '../../hosts/xs/probe';
import { SimHost } from '../../hosts/xs/sim-host';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config';
import { signCommand, decodeReply, type Command } from '../../src/uplink/commands';
import { encodeKey } from '../../src/uplink/keys';
import { decodeEvent, encodeEvent, decodeState } from '../../src/uplink/payloads';
import { openUplink, sealUplink } from '../../src/uplink/uplink-auth';
import { decodeNonceMessage } from '../../src/uplink/nonce';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets';
import { MemoryBroker } from '../support/memory-mqtt';

const NOW = 1_790_000_000;
const T = (leaf: string) => `alarm/p1/${leaf}`;
const remoteKey = () => new Uint8Array(32).fill(1);
const uplinkKey = () => new Uint8Array(32).fill(0x42);

function boot() {
  const broker = new MemoryBroker({ maximumPacketSize: 256 });
  const host = new SimHost({ wallStart: NOW, connect: broker.connect });
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.remote = { 1: encodeKey(remoteKey()) };
  raw.uplink = encodeKey(uplinkKey());
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
  const panel = host.open(checked.config);
  host.runTo(panel, 1000);
  let messageId = 100;
  const send = (cmd: Command): Uint8Array => {
    const bytes = signCommand(cmd, 1, remoteKey());
    broker.send({ cmd: 'publish', topic: T('cmd'), payload: payload(bytes), qos: 1, messageId: messageId++, retain: false, dup: false } as unknown as Packet);
    host.runTo(panel, host.uptimeMs + 10);
    return bytes;
  };
  return { broker, host, panel, send, master: first.masterCode };
}

export default defineScenarios('uplink auth', {
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
    const s = boot();
    for (let i = 0; i < 15; i++) {
      s.panel.keypad('bypass', s.master, { zone: 2 });
      s.panel.keypad('unbypass', s.master, { zone: 2 });
    }
    s.host.runTo(s.panel, s.host.uptimeMs + 10);
    const cmd = s.send({ id: 9, action: 'log_export', args: {}, counter: 5, time: NOW + 2 });
    const chunks = s.broker.published.filter((p) => p.topic === T('log'));
    t.ok(chunks.length > 1, `${chunks.length} chunks`);
    t.ok(chunks.every((c) => openUplink(c.payload, uplinkKey(), 'p1', 'log', cmd).ok), 'each verifies against the command');
    const sizes = chunks.map((p) => encodePacket({ cmd: 'publish', topic: p.topic, payload: payload(p.payload), qos: 1, messageId: 1,
      retain: false, dup: false, properties: p.properties } as unknown as Packet, 5).length);
    t.ok(Math.max(...sizes) <= 256, `every packet fits 256 bytes (largest ${Math.max(...sizes)})`);
  },
});
