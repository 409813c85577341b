// The session's messages besides events, on Node and inside XS: `publish` (queued while down,
// QoS 0/1, retained, content type, expiry, resent with DUP), the broker's maximum packet size,
// and extra subscriptions handed to `onMessage` with their topic.
import { defineScenarios } from '../../hosts/xs/probe';
import { Uplink, type UplinkConfig } from '../../src/uplink/uplink';
import { topicMatches } from '../../src/uplink/topics';
import { encodeReply } from '../../src/uplink/commands';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets';
import { MemoryBroker, SimTime, type BrokerOptions } from '../support/memory-mqtt';
import { MemoryOutbox } from '../support/memory-outbox';

const P = 'alarm/a1b2c3/';
const HA_SET = `${P}ha/set`;
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const text = (b: Uint8Array) => String.fromCharCode(...b);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function setup(o: { broker?: BrokerOptions; config?: Partial<UplinkConfig> } = {}) {
  const broker = new MemoryBroker(o.broker);
  const outbox = new MemoryOutbox();
  const time = new SimTime();
  const messages: string[] = [];
  const commands: Uint8Array[] = [];
  const session = new Uplink(
    { host: 'broker.test', port: 1883, clientId: 'panel-a1b2c3', panelId: 'a1b2c3', keepalive: 30, ...o.config },
    {
      connect: broker.connect,
      outbox,
      random: () => 0.5,
      onCommand: (b) => commands.push(b),
      onMessage: (topic, b) => messages.push(`${topic} ${text(b)}`),
    },
  );
  const up = () => session.info().up;
  return { broker, outbox, time, session, messages, commands, up };
}

/** A PUBLISH from the broker to the panel. */
const toPanel = (topic: string, body: string, messageId = 9): Packet =>
  ({ cmd: 'publish', topic, payload: payload(ascii(body)), qos: 1, messageId, retain: false, dup: false }) as unknown as Packet;

export default defineScenarios('uplink publish', {
  'messages wait while the link is down, then go out after the state and replies, as asked': (t) => {
    const s = setup();
    t.is(s.session.publish(`${P}ha/state`, ascii('disarmed'), { retain: true, qos: 1, contentType: 'text/plain' }), true, 'queued while down');
    t.is(s.session.publish(`${P}log`, bytes(40), { retain: false, qos: 1, contentType: 'application/cbor', expiry: 300 }), true, 'queued');
    t.is(s.session.publish(`${P}ping`, ascii('x'), { retain: false, qos: 0 }), true, 'QoS 0 queued');
    s.session.reply(encodeReply({ id: 1, ok: true }));
    t.is(s.session.info().queued, 3, 'three queued');
    t.ok(s.time.run(s.session, () => s.up() && s.session.info().queued === 0), 'up, queue empty');
    t.is(s.broker.published.map((p) => p.topic.slice(P.length)), ['status', 'reply', 'ha/state', 'log', 'ping'], 'birth, reply, then the queue in order');
    const [, , state, log, ping] = s.broker.published;
    t.is([state.qos, state.retain, state.properties?.contentType, state.properties?.payloadFormatIndicator], [1, true, 'text/plain', true], 'text: retained, UTF-8');
    t.is([log.qos, log.retain, log.properties?.contentType, log.properties?.messageExpiryInterval], [1, false, 'application/cbor', 300], 'CBOR with an expiry');
    t.is(log.properties?.payloadFormatIndicator, undefined, 'CBOR is not flagged as UTF-8');
    t.is([ping.qos, ping.messageId], [0, undefined], 'QoS 0: no packet id');
    t.is(s.broker.retained.get(`${P}ha/state`) && text(s.broker.retained.get(`${P}ha/state`)!), 'disarmed', 'the broker retains it');
  },

  'a retained message replaces an older one on the same topic that has not gone out': (t) => {
    const s = setup();
    for (const mode of ['disarmed', 'arming', 'armed_away']) s.session.publish(`${P}ha/state`, ascii(mode), { retain: true, qos: 1 });
    s.session.publish(`${P}log`, bytes(3), { retain: false, qos: 1 });
    s.session.publish(`${P}log`, bytes(4), { retain: false, qos: 1 });
    t.is(s.session.info().queued, 3, 'one state, two chunks');
    t.ok(s.time.run(s.session, () => s.up() && s.session.info().queued === 0), 'sent');
    t.is(s.broker.published.filter((p) => p.topic.endsWith('ha/state')).map((p) => text(p.payload)), ['armed_away'], 'only the latest state');
    t.is(s.broker.published.filter((p) => p.topic.endsWith('/log')).length, 2, 'messages that are not retained all go');
  },

  'a QoS 1 message without its PUBACK goes again with DUP and the same packet id on the next link': (t) => {
    const s = setup();
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcksOn = (topic) => topic.endsWith('/log');
    s.broker.holdAcks = true;
    for (let i = 0; i < 3; i++) s.session.publish(`${P}log`, bytes(8, i), { retain: false, qos: 1 });
    s.session.tick(s.time.now);
    const first = s.broker.published.filter((p) => p.topic.endsWith('/log'));
    t.is(first.map((p) => [p.payload[0], p.dup]), [[0, false], [1, false], [2, false]], 'three sent');
    s.broker.holdAcks = false;
    s.broker.held.length = 0;
    s.broker.hangUp();
    t.ok(s.time.run(s.session, () => s.broker.linkCount === 2 && s.up() && s.session.info().queued === 0), 'back up');
    s.session.tick(s.time.now);
    const again = s.broker.published.filter((p) => p.topic.endsWith('/log') && p.link === 2);
    t.is(again.map((p) => [p.payload[0], p.dup]), [[0, true], [1, true], [2, true]], 'resent in order, with DUP');
    t.is(again.map((p) => p.messageId), first.map((p) => p.messageId), 'same packet ids');
    t.is(s.session.nextDeadline() === s.time.now, false, 'nothing left to do at once');
  },

  'queued messages have a window: the rest wait without making the session spin': (t) => {
    const s = setup({ config: { window: 2 } });
    t.ok(s.time.run(s.session, s.up), 'up');
    s.broker.holdAcksOn = (topic) => topic.endsWith('/log');
    s.broker.holdAcks = true;
    for (let i = 0; i < 5; i++) s.session.publish(`${P}log`, bytes(8, i), { retain: false, qos: 1 });
    s.session.tick(s.time.now);
    t.is(s.broker.published.filter((p) => p.topic.endsWith('/log')).length, 2, 'two in flight');
    t.ok((s.session.nextDeadline() ?? Infinity) > s.time.now, 'the next deadline is not "now"');
    s.outbox.addEvent({ code: 130, q: 1, zone: 1 });
    s.session.tick(s.time.now);
    t.is(s.broker.published.filter((p) => p.topic.endsWith('/event')).length, 1, 'an event still goes out');
    s.broker.holdAcks = false;
    s.broker.releaseAcks();
    t.ok(s.time.run(s.session, () => s.session.info().queued === 0), 'the rest follow as PUBACKs come');
    t.is(s.broker.published.filter((p) => p.topic.endsWith('/log')).map((p) => p.payload[0]), [0, 1, 2, 3, 4], 'all, in order, once');
  },

  "the broker's maximum packet size: maxPayload fits it, a message too large is dropped, not sent": (t) => {
    const s = setup({ broker: { maximumPacketSize: 300 }, config: { maxOutgoingPacket: 4096 } });
    const topic = `${P}log`;
    t.ok(s.session.maxPayload(topic) > 3900, 'before any CONNACK: the session limit (4 KiB here)');
    t.ok(s.time.run(s.session, s.up), 'up');
    t.is(s.session.info().brokerMaxPacket, 300, 'the broker announced 300 bytes');
    const max = s.session.maxPayload(topic);
    t.ok(max > 150 && max < 300 - topic.length, `after it: the broker limit (${max} bytes of payload)`);
    s.session.publish(topic, bytes(max), { retain: false, qos: 1, contentType: 'application/cbor', expiry: 60 });
    s.session.publish(topic, bytes(400), { retain: false, qos: 1 });
    s.session.publish(topic, bytes(5), { retain: false, qos: 1 });
    t.ok(s.time.run(s.session, () => s.session.info().queued === 0), 'queue done');
    const sent = s.broker.published.filter((p) => p.topic === topic);
    t.is(sent.map((p) => p.payload.length), [max, 5], 'the largest that fits went, the oversized one did not');
    const size = encodePacket({ cmd: 'publish', topic, payload: payload(sent[0].payload), qos: 1, messageId: 65535, retain: false, dup: true,
      properties: { contentType: 'application/cbor', messageExpiryInterval: 60 } } as unknown as Packet, 5).length;
    t.ok(size <= 300, `the full packet is ${size} bytes, within the limit`);
    t.is(s.session.info().oversize, 1, 'the dropped one is counted');
    t.ok(s.up(), 'the link stays up');
  },

  'the queue is bounded: a full queue refuses more, and bad topics are refused': (t) => {
    const s = setup();
    t.is(s.session.canQueue(256, 128 * 1024), true, 'an empty queue takes 256 messages / 128 KiB');
    t.is(s.session.canQueue(257, 1), false, 'not 257');
    let accepted = 0;
    for (let i = 0; i < 300; i++) if (s.session.publish(`${P}log`, bytes(10), { retain: false, qos: 1 })) accepted++;
    t.is(accepted, 256, '256 accepted');
    t.is(s.session.publish(`${P}log`, bytes(1), { retain: false, qos: 1 }), false, 'the next is refused');
    t.is(s.session.info().queued, 256, 'nothing else changed');
    const e = setup();
    for (const bad of ['', 'alarm/+/x', 'alarm/#', '$SYS/x']) t.is(e.session.publish(bad, bytes(1), { retain: false, qos: 0 }), false, `"${bad}" refused`);
    t.is(e.session.info().queued, 0, 'nothing queued');
  },

  'extra subscriptions: subscribed with the commands, messages go to onMessage with their topic': (t) => {
    const s = setup({ config: { subscriptions: [HA_SET, 'other/+/x'] } });
    t.ok(s.time.run(s.session, () => s.session.info().subscriptions[HA_SET] === 'subscribed'), 'subscribed');
    t.is(s.broker.subscriptions, [`${P}cmd`, HA_SET, 'other/+/x'], 'one SUBSCRIBE, commands first');
    t.is(s.session.info().commands, 'subscribed', 'commands too');
    s.broker.send(toPanel(HA_SET, '{"action":"DISARM"}', 11));
    s.broker.send(toPanel('other/7/x', 'seven', 12));
    s.broker.send(toPanel('other/7/y', 'not matched', 13));
    s.broker.send(toPanel(`${P}cmd`, 'cmd', 14));
    s.session.tick(s.time.now);
    t.is(s.messages, [`${HA_SET} {"action":"DISARM"}`, 'other/7/x seven'], 'matching messages, with their topics');
    t.is(s.commands.length, 1, 'the command went to onCommand only');
    s.broker.hangUp();
    t.ok(s.time.run(s.session, () => s.broker.linkCount === 2 && s.session.info().subscriptions[HA_SET] === 'subscribed'), 'back up');
    t.is(s.broker.subscriptions.length, 6, 'subscribed again on the new link');
  },

  'a bad subscription filter is a config error; topic filters match as MQTT says': (t) => {
    const broker = new MemoryBroker();
    t.throws(() => new Uplink({ host: 'h', port: 1, clientId: 'c', panelId: 'p', subscriptions: ['a/#/b'] }, { connect: broker.connect, outbox: new MemoryOutbox() }),
      /subscription "a\/#\/b" is not a topic filter/, 'refused');
    const cases: Array<[string, string, boolean]> = [
      ['a/b', 'a/b', true], ['a/+', 'a/b', true], ['a/+', 'a/b/c', false], ['a/#', 'a', true], ['a/#', 'a/b/c', true],
      ['+/b', 'a/b', true], ['#', '$SYS/x', false], ['a/b', 'a/b/c', false], ['a/b/c', 'a/b', false],
    ];
    for (const [f, topic, want] of cases) t.is(topicMatches(f, topic), want, `${f} ~ ${topic}`);
  },
});
