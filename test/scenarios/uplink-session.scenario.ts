// The MQTT session against a broker in memory, on Node and inside XS: connect, fallback to
// 3.1.1, the outbox window, resend with DUP, keepalive, commands and replies, bad bytes.
import { defineScenarios, type Probe } from '../../hosts/xs/probe';
import { Uplink, type UplinkConfig, type UplinkHooks } from '../../src/uplink/uplink';
import { backoffDelay } from '../../src/uplink/backoff';
import { decodeEvent, decodeStatus, encodeState, decodeState } from '../../src/uplink/payloads';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets';
import { ContactId, Qualifier } from '../../src/core/events';
import { MemoryBroker, SimTime, type BrokerOptions } from '../support/memory-mqtt';
import { MemoryOutbox } from '../support/memory-outbox';
import { seeded } from '../../hosts/xs/seeded';

const T = { status: 'alarm/a1b2c3/status', state: 'alarm/a1b2c3/state', event: 'alarm/a1b2c3/event', cmd: 'alarm/a1b2c3/cmd', reply: 'alarm/a1b2c3/reply' };
const bytes = (...b: number[]) => new Uint8Array(b);


function setup(o: { broker?: BrokerOptions; config?: Partial<UplinkConfig>; hooks?: Partial<UplinkHooks> } = {}) {
  const broker = new MemoryBroker(o.broker);
  const outbox = new MemoryOutbox();
  const time = new SimTime();
  const status: string[] = [];
  const commands: Uint8Array[] = [];
  const attempts: number[] = [];
  const session = new Uplink(
    { host: 'broker.test', port: 1883, clientId: 'panel-a1b2c3', panelId: 'a1b2c3', keepalive: 30, ...o.config },
    {
      connect: (target, events) => { attempts.push(time.now); return broker.connect(target, events); },
      outbox,
      random: seeded(7),
      onStatus: (up, why) => status.push(`${up ? 'up' : 'down'}: ${why}`),
      onCommand: (b) => commands.push(b),
      ...o.hooks,
    },
  );
  const up = () => session.info().up;
  const idle = () => up() && outbox.size() === 0;
  return { broker, outbox, time, status, commands, attempts, session, up, idle };
}

const seqs = (list: Array<{ payload: Uint8Array }>) => list.map((p) => decodeEvent(p.payload).seq);
const alarm = (zone: number) => ({ code: ContactId.burglary, q: Qualifier.new, zone });

/** Injects `wire`, checks the link closes (with `code` in a v5 DISCONNECT) and comes back. */
function closesAndRecovers(t: Probe, s: ReturnType<typeof setup>, what: string, wire: Uint8Array, why: RegExp, code?: number) {
  const links = s.broker.linkCount;
  const before = s.broker.log.length;
  s.broker.inject(wire);
  s.session.tick(s.time.now);
  t.ok(!s.up(), `${what}: the link is closed`);
  t.ok(why.test(s.session.info().lastReason ?? ''), `${what}: the reason names it`);
  const sent = s.broker.log.slice(before);
  if (code !== undefined) t.is(sent[sent.length - 1], 'disconnect', `${what}: a v5 DISCONNECT goes first`);
  t.ok(s.time.run(s.session, s.idle), `${what}: it reconnects and the outbox drains`);
  t.is(s.broker.linkCount, links + 1, `${what}: over one new link`);
}

export default defineScenarios('uplink session', {
  'connects with MQTT 5: will, session expiry, birth, state, subscription, events': (t) => {
    const s = setup();
    s.session.publishState(encodeState({ mode: 'disarmed', open: [] }));
    s.outbox.addEvent({ code: ContactId.openClose, q: Qualifier.new, user: 1 });
    s.outbox.addEvent(alarm(3));
    t.ok(s.time.run(s.session, s.idle), 'up and the outbox drained');
    t.is(s.time.now, 0, 'all of it without waiting');

    const c = s.broker.connects[0];
    t.is(c.protocolVersion, 5, 'MQTT 5 first');
    t.is(c.clean, false, 'clean start off: the session survives a reconnect');
    t.is(c.keepalive, 30, 'keepalive');
    t.is(c.properties?.sessionExpiryInterval, 86400, 'session expiry: one day');
    t.is(c.will.topic, T.status, 'will on the status topic');
    t.is(decodeStatus(new Uint8Array(c.will.payload)), 'offline', 'will says offline');
    t.is([c.will.qos, c.will.retain], [1, true], 'will QoS 1, retained');
    t.is(c.will.properties?.willDelayInterval, 10, 'will delay interval');

    t.is(s.broker.published.map((p) => p.topic), [T.status, T.state, T.event, T.event], 'birth, state, then events');
    t.is(s.broker.log.slice(0, 4), ['connect', 'publish', 'subscribe', 'publish'], 'online right after CONNACK, then the subscription');
    const [birth, state, e1, e2] = s.broker.published;
    t.is(decodeStatus(birth.payload), 'online', 'birth says online');
    t.is([birth.qos, birth.retain, birth.properties?.payloadFormatIndicator], [1, true, true], 'birth: QoS 1, retained, UTF-8');
    t.is(decodeState(state.payload), { v: 1, mode: 'disarmed', open: [] }, 'state snapshot, keys in deterministic order');
    t.is([state.qos, state.retain, state.properties?.contentType], [1, true, 'application/cbor'], 'state: QoS 1, retained, CBOR');
    for (const e of [e1, e2]) {
      t.is([e.qos, e.retain, e.dup, e.properties?.contentType], [1, false, false, 'application/cbor'], 'event: QoS 1, never retained, CBOR');
    }
    t.is(seqs([e1, e2]), [1, 2], 'events in sequence order');
    t.is(s.outbox.acked, [1, 2], 'each left the outbox on its PUBACK');
    t.is(s.broker.subscriptions, [T.cmd], 'subscribed to commands');
    t.is(s.session.info().commands, 'subscribed', 'the broker granted it');
    t.is(s.status, ['up: connected to broker.test:1883 (MQTT 5)'], 'status reported once');
  },

  'the state is retained and re-published on every connect': (t) => {
    const s = setup();
    s.session.publishState(encodeState({ mode: 'disarmed' }));
    t.ok(s.time.run(s.session, s.up), 'up');
    s.session.publishState(encodeState({ mode: 'armed_away' }));
    s.session.tick(s.time.now);
    const states = () => s.broker.eventsOn(T.state).map((p) => [p.link, decodeState(p.payload).mode]);
    t.is(states(), [[1, 'disarmed'], [1, 'armed_away']], 'a new snapshot goes out at once');
    s.broker.hangUp();
    t.ok(s.time.run(s.session, () => s.broker.linkCount === 2 && s.up()), 'back up');
    t.is(states(), [[1, 'disarmed'], [1, 'armed_away'], [2, 'armed_away']], 'the latest snapshot again on the new link');
    t.is(decodeState(s.broker.retained.get(T.state)!).mode, 'armed_away', 'the broker retains the latest');
    t.is(s.status.map((x) => x.split(':')[0]), ['up', 'down', 'up'], 'down and up reported');
  },

  'falls back to 3.1.1 when the broker refuses MQTT 5, and remembers it': (t) => {
    for (const refuseV5 of ['connack-0x84', 'connack-rc1', 'close'] as const) {
      const s = setup({ broker: { versions: [4], refuseV5 } });
      s.outbox.addEvent(alarm(1));
      t.ok(s.time.run(s.session, s.idle), `${refuseV5}: up and the event delivered`);
      t.is(s.broker.connects.map((c) => c.protocolVersion), [5, 4], `${refuseV5}: tried 5, then 3.1.1`);
      t.is(s.time.now, 0, `${refuseV5}: the fallback does not wait for the backoff`);
      t.is(s.session.info().protocol, 4, `${refuseV5}: speaking 3.1.1`);
      t.is(s.broker.published.every((p) => p.properties === undefined), true, `${refuseV5}: no MQTT 5 properties`);
      t.is(s.broker.connects[1].will?.retain, true, `${refuseV5}: the will is still retained`);
      t.is(s.status, ['up: connected to broker.test:1883 (MQTT 3.1.1)'], `${refuseV5}: the fallback is not reported as trouble`);
      s.broker.hangUp();
      t.ok(s.time.run(s.session, () => s.broker.linkCount === 3 && s.up()), `${refuseV5}: reconnected`);
      t.is(s.broker.connects.map((c) => c.protocolVersion), [5, 4, 4], `${refuseV5}: 3.1.1 straight away next time`);
    }
  },

  'a refusal is not a fallback when MQTT 5 is pinned, and the backoff grows to its cap': (t) => {
    const s = setup({ broker: { versions: [4] }, config: { version: 5 } });
    t.ok(!s.time.run(s.session, s.up, 600_000, 14), 'never up');
    t.is(s.broker.connects.every((c) => c.protocolVersion === 5), true, 'only MQTT 5 tried');
    const gaps = s.attempts.slice(1).map((at, i) => at - s.attempts[i]);
    t.log('delays between attempts (ms)', gaps);
    gaps.forEach((gap, n) => {
      const base = Math.min(60_000, 1000 * 2 ** n);
      t.ok(gap >= base / 2 && gap <= base, `attempt ${n + 2}: ${gap} ms within [${base / 2}, ${base}]`);
    });
    t.is(s.status, ['down: the broker refused the connection: unsupported protocol version (0x84)'], 'down reported once');
  },

  'backoff: exponential from 1 s to 60 s, jittered in the upper half': (t) => {
    const range = { min: 1000, max: 60_000 };
    t.is([0, 1, 2, 5, 6, 20].map((n) => backoffDelay(n, range, () => 0)), [500, 1000, 2000, 16000, 30000, 30000], 'lowest');
    t.is([0, 1, 2, 5, 6, 20].map((n) => backoffDelay(n, range, () => 0.999999)), [1000, 2000, 4000, 32000, 60000, 60000], 'highest');
    t.is(backoffDelay(3, range, () => NaN), 6000, 'a broken random source still gives a delay');
  },

  'events: oldest first, a window in flight, each leaves only on its PUBACK': (t) => {
    const s = setup({ config: { window: 3 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcks = true;
    for (let z = 1; z <= 7; z++) s.outbox.addEvent(alarm(z));
    s.session.tick(s.time.now);
    t.is(seqs(s.broker.eventsOn(T.event)), [1, 2, 3], 'three in flight');
    t.is([s.outbox.size(), s.session.info().inflight], [7, 3], 'all still in the outbox');
    s.broker.releaseAcks();
    s.session.tick(s.time.now);
    t.is(s.outbox.acked, [1, 2, 3], 'acknowledged ones leave');
    t.is(seqs(s.broker.eventsOn(T.event)), [1, 2, 3, 4, 5, 6], 'the window refills');
    s.broker.holdAcks = false;
    s.broker.releaseAcks();
    t.ok(s.time.run(s.session, s.idle), 'drained');
    t.is(seqs(s.broker.eventsOn(T.event)), [1, 2, 3, 4, 5, 6, 7], 'each published once, in order');
    t.is(s.outbox.acked, [1, 2, 3, 4, 5, 6, 7], 'each acknowledged once, in order');
  },

  'the broker receive maximum bounds what is in flight': (t) => {
    const s = setup({ broker: { receiveMaximum: 2 }, config: { window: 8 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcks = true;
    for (let z = 1; z <= 5; z++) s.outbox.addEvent(alarm(z));
    s.session.tick(s.time.now);
    t.is(s.session.info().inflight, 2, 'two events in flight, as the broker asked');
  },

  'unacknowledged events are resent with DUP and their packet ids after a reconnect': (t) => {
    const s = setup({ config: { window: 4 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcks = true;
    for (let z = 1; z <= 6; z++) s.outbox.addEvent(alarm(z));
    s.session.tick(s.time.now);
    const first = s.broker.eventsOn(T.event);
    t.is(seqs(first), [1, 2, 3, 4], 'four in flight');
    s.broker.hangUp();
    s.broker.holdAcks = false;
    t.ok(s.time.run(s.session, s.idle), 'reconnected and drained');
    const again = s.broker.eventsOn(T.event).filter((p) => p.link === 2);
    t.is(seqs(again), [1, 2, 3, 4, 5, 6], 'oldest first on the new link');
    t.is(again.map((p) => p.dup), [true, true, true, true, false, false], 'DUP on the resent ones only');
    t.is(again.slice(0, 4).map((p) => p.messageId), first.map((p) => p.messageId), 'same packet ids');
    t.is(s.outbox.acked, [1, 2, 3, 4, 5, 6], 'every event acknowledged once');
    t.is([s.session.info().sent, s.session.info().resent], [10, 4], 'sent / resent counters');
  },

  'a PUBACK that never comes starts a new link, and the event goes again': (t) => {
    const s = setup({ config: { keepalive: 60 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcks = true;
    s.outbox.addEvent(alarm(4));
    s.session.tick(s.time.now);
    s.broker.held.length = 0; // the PUBACK is lost for good
    t.is(s.session.nextDeadline(), 30_000, 'next deadline: the acknowledgement timeout');
    s.time.advance(s.session, 29_999);
    t.ok(s.up(), 'still waiting just before the timeout');
    s.time.advance(s.session, 1);
    t.ok(/^no acknowledgement/.test(s.session.info().lastReason ?? ''), 'then the link is dropped');
    s.broker.holdAcks = false;
    t.ok(s.time.run(s.session, s.idle), 'a new link delivers it');
    t.is(s.broker.eventsOn(T.event).map((p) => [p.link, p.dup]), [[1, false], [2, true]], 'sent again with DUP');
  },

  'keepalive: PINGREQ when idle, and a silent broker is a dead link': (t) => {
    const s = setup({ config: { keepalive: 10 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    t.is(s.session.nextDeadline(), 10_000, 'next deadline: the ping');
    s.time.advance(s.session, 10_000);
    t.is(s.broker.log.filter((c) => c === 'pingreq').length, 1, 'one PINGREQ after 10 s idle');
    t.ok(s.up(), 'answered: still up');
    s.broker.silent = true;
    s.time.advance(s.session, 14_000);
    t.ok(s.up(), 'not yet dead at 14 s without an answer');
    s.time.advance(s.session, 1_000);
    t.ok(!s.up(), 'dead after 1.5 × keepalive without a packet');
    t.ok(/^dead link/.test(s.session.info().lastReason ?? ''), 'reason: dead link');
    s.broker.silent = false;
    t.ok(s.time.run(s.session, s.up), 'reconnects');
  },

  'commands are handed over before their PUBACK; replies go out QoS 1, not retained, expiring': (t) => {
    const acksWhenHanded: number[] = [];
    let broker: MemoryBroker | undefined;
    const s = setup({ hooks: { onCommand: () => acksWhenHanded.push(broker!.log.filter((c) => c === 'puback').length) } });
    broker = s.broker;
    t.ok(s.time.run(s.session, s.up), 'up');
    const cose = bytes(0xd1, 0x84, 0x43, 0xa1, 0x01, 0x05);
    s.broker.send({ cmd: 'publish', topic: T.cmd, qos: 1, messageId: 77, retain: false, dup: false, payload: payload(cose) } as Packet);
    s.session.tick(s.time.now);
    t.is(acksWhenHanded, [0], 'handed over before any PUBACK');
    t.is(s.broker.log[s.broker.log.length - 1], 'puback', 'then acknowledged');
    s.session.reply(bytes(0xa2, 0x01, 0x07, 0x02, 0xf5));
    s.session.tick(s.time.now);
    const [r] = s.broker.eventsOn(T.reply);
    t.is([r.qos, r.retain, r.properties?.messageExpiryInterval, r.properties?.contentType], [1, false, 60, 'application/cbor'], 'reply: QoS 1, not retained, expires in 60 s');
    t.is(r.payload, bytes(0xa2, 0x01, 0x07, 0x02, 0xf5), 'reply payload');
  },

  'a command handler that throws changes nothing': (t) => {
    const s = setup({ hooks: { onCommand: () => { throw new Error('bad'); } } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.send({ cmd: 'publish', topic: T.cmd, qos: 1, messageId: 5, retain: false, dup: false, payload: payload(bytes(1)) } as Packet);
    s.session.tick(s.time.now);
    t.ok(s.up(), 'still up');
    t.is(s.broker.log[s.broker.log.length - 1], 'puback', 'still acknowledged');
  },

  'bad bytes from the broker close the link cleanly, and it comes back': (t) => {
    const s = setup({ config: { maxPacket: 1024 } });
    t.ok(s.time.run(s.session, s.idle), 'up');
    s.outbox.addEvent(alarm(1));
    closesAndRecovers(t, s, 'PUBACK for an unknown id', encodePacket({ cmd: 'puback', messageId: 0xfffe } as Packet, 5), /unknown packet id 65534/, 0x82);
    closesAndRecovers(t, s, 'malformed packet', bytes(0x00, 0x00), /malformed packet/, 0x81);
    closesAndRecovers(t, s, 'CONNACK while connected', encodePacket({ cmd: 'connack', reasonCode: 0, sessionPresent: false } as Packet, 5), /unexpected connack/, 0x82);
    closesAndRecovers(t, s, 'SUBSCRIBE from the broker', encodePacket({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'x', qos: 0 }] } as Packet, 5), /unexpected subscribe/, 0x82);
    closesAndRecovers(t, s, 'QoS 2 PUBLISH', encodePacket({ cmd: 'publish', topic: T.cmd, qos: 2, messageId: 9, retain: false, dup: false, payload: payload(bytes(1)) } as Packet, 5), /QoS 2/, 0x82);
    const huge = new Uint8Array(1600);
    huge.set([0x30, 0xa0, 0x8d, 0x06]); // PUBLISH announcing 100,000 bytes
    closesAndRecovers(t, s, 'oversized packet', huge, /exceeds 1024 bytes/, 0x95);
    t.is(s.outbox.acked, [1], 'the event went through in the end');
    t.is(s.commands.length, 0, 'nothing reached the command handler');
  },

  'an event the broker refuses stays in the outbox and is sent again': (t) => {
    const s = setup();
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcks = true;
    s.outbox.addEvent(alarm(2));
    s.session.tick(s.time.now);
    const [e] = s.broker.eventsOn(T.event);
    s.broker.held.length = 0;
    s.broker.send({ cmd: 'puback', messageId: e.messageId, reasonCode: 0x87 } as Packet);
    s.session.tick(s.time.now);
    t.ok(!s.up(), 'the link starts over');
    t.ok(/refused event 1 \(0x87\)/.test(s.session.info().lastReason ?? ''), 'reason names the event');
    t.is(s.outbox.size(), 1, 'the event is still in the outbox');
    s.broker.holdAcks = false;
    t.ok(s.time.run(s.session, s.idle), 'sent again and acknowledged');
    t.is(s.broker.eventsOn(T.event).map((p) => p.dup), [false, true], 'the second time with DUP');
  },

  'stop publishes offline and disconnects': (t) => {
    const s = setup();
    t.ok(s.time.run(s.session, s.up), 'up');
    s.session.stop();
    t.is(decodeStatus(s.broker.retained.get(T.status)!), 'offline', 'offline retained');
    t.is(s.broker.log.slice(-2), ['publish', 'disconnect'], 'then DISCONNECT');
    t.is(s.session.nextDeadline(), undefined, 'nothing scheduled any more');
    s.time.advance(s.session, 120_000);
    t.is(s.broker.linkCount, 1, 'it stays down');
  },

  'bad configuration is refused with a clear error': (t) => {
    const base = { host: 'h', port: 1883, clientId: 'c', panelId: 'p' };
    const hooks = { connect: new MemoryBroker().connect, outbox: new MemoryOutbox() };
    t.throws(() => new Uplink({ ...base, panelId: 'a/b' }, hooks), /panel id "a\/b" contains \//, 'a slash in the panel id');
    t.throws(() => new Uplink({ ...base, prefix: 'alarm/#' }, hooks), /wildcard/, 'a wildcard in the prefix');
    t.throws(() => new Uplink({ ...base, port: 0 }, hooks), /port 0/, 'port 0');
    t.throws(() => new Uplink({ ...base, password: 'x' }, hooks), /needs a user name/, 'a password alone');
    t.throws(() => new Uplink({ ...base, window: 0 }, hooks), /window/, 'an empty window');
  },
});
