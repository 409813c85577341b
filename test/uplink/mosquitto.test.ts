// The session against a real mosquitto (Debian's, started here on free loopback ports), watched
// by an independent subscriber: MQTT.js + cbor2. MQTT 5, passwords, TLS, the last will, and faults.
import test from 'ava';
import { Mosquitto, FaultyProxy, testPki } from '../support/brokers.ts';
import { Subscriber, readEvent, firstArrivals, range } from './subscriber.ts';
import { TestPanel, recordingConnect } from './panel.ts';
import { encodeState } from '../../src/uplink/payloads.ts';

const users = { panel: 'panel-secret', monitor: 'monitor-secret' };
const topic = (id: string, leaf: string) => `alarm/${id}/${leaf}`;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
/** Distinct event seqs a subscriber has seen (a consumer de-duplicates by seq). */
const distinct = (sub: Subscriber) => new Set(sub.messages.filter((m) => m.topic.endsWith('/event')).map((m) => readEvent(m.payload).seq)).size;

test('MQTT 5 with a password: birth, retained state and events, checked by an independent subscriber', async (t) => {
  const broker = await Mosquitto.start({ users });
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const sub = await Subscriber.connect(url, ['alarm/p1/#'], { username: 'monitor', password: users.monitor });
  t.teardown(() => sub.close());
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'p1', username: 'panel', password: users.panel });
  t.teardown(() => panel.stop());

  panel.uplink.publishState(encodeState({ mode: 'armed_away', open: [], bypassed: [2] }));
  const added = panel.add(60, { time: 1_767_225_600 });
  await sub.until(() => sub.on(topic('p1', 'event')).length >= 60, '60 events');
  await panel.until(() => panel.outbox.size() === 0, 'the outbox to drain');

  t.deepEqual(panel.statuses.map((s) => [s.up, s.reason]), [[true, `connected to 127.0.0.1:${broker.port} (MQTT 5)`]]);
  const [status] = sub.on(topic('p1', 'status'));
  t.is(text(status.payload), 'online');
  t.true(status.retain, 'status retained');
  t.is(status.properties?.payloadFormatIndicator, true, 'status marked UTF-8');
  const [state] = sub.on(topic('p1', 'state'));
  t.true(state.retain, 'state retained');
  t.is(state.properties?.contentType, 'application/cbor');

  const events = sub.on(topic('p1', 'event'));
  for (const e of events) {
    t.false(e.retain, 'events are never retained');
    t.is(e.qos, 1);
    t.is(e.properties?.contentType, 'application/cbor');
    t.true(e.payload.length <= 48, 'a zone alarm event is at most 48 bytes');
  }
  const decoded = events.map((e) => readEvent(e.payload));
  t.deepEqual(firstArrivals(decoded.map((e) => e.seq)), added, 'every seq, in order, no gaps');
  t.deepEqual(decoded[0], { v: 1, seq: 1, boot: 1, uptime: 10, time: 1_767_225_600, code: 130, q: 1, zone: 1 }, 'cbor2 reads what the panel meant');

  // A monitor that connects later gets the retained status and state, and no event.
  const late = await Subscriber.connect(url, ['alarm/p1/#', 'sync/p1'], { username: 'monitor', password: users.monitor });
  t.teardown(() => late.close());
  await late.sync('sync/p1');
  t.deepEqual(late.messages.filter((m) => m.retain).map((m) => m.topic).sort(), [topic('p1', 'state'), topic('p1', 'status')]);
  t.deepEqual(late.on(topic('p1', 'event')), [], 'no event is retained');
});

test('a wrong password is refused, reported, and retried with backoff', async (t) => {
  const broker = await Mosquitto.start({ users });
  t.teardown(() => broker.stop());
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'p2', username: 'panel', password: 'wrong' });
  t.teardown(() => panel.stop());
  await panel.until(() => panel.uplink.info().attempts >= 3, 'three refused attempts');
  t.false(panel.up);
  t.deepEqual(panel.statuses.map((s) => s.up), [false], 'down reported once');
  t.regex(panel.statuses[0].reason, /refused the connection: (bad user name or password \(0x86\)|not authorised \(0x87\))/);
});

test('TLS with the CA from the config, then with a client certificate as AWS IoT requires', async (t) => {
  const pki = testPki();
  const plain = await Mosquitto.start({ tls: true });
  t.teardown(() => plain.stop());
  const mutual = await Mosquitto.start({ tls: true, requireClientCert: true });
  t.teardown(() => mutual.stop());

  for (const [name, broker, tls] of [
    ['CA only', plain, { ca: pki.ca }],
    ['client certificate', mutual, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }],
  ] as const) {
    const id = name === 'CA only' ? 'tls1' : 'tls2';
    const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, [`alarm/${id}/#`]);
    t.teardown(() => sub.close());
    const panel = new TestPanel({ host: '127.0.0.1', port: broker.tlsPort!, panelId: id, tls });
    t.teardown(() => panel.stop());
    panel.add(5);
    await sub.until(() => sub.on(topic(id, 'event')).length >= 5, `${name}: 5 events over TLS`);
    t.deepEqual(sub.on(topic(id, 'event')).map((e) => readEvent(e.payload).seq), range(5), `${name}: delivered`);
    t.regex(panel.statuses[0].reason, /connected .* \(MQTT 5\)/, name);
  }

  // The wrong CA, or no client certificate where one is required: never up, the reason says why.
  const other = new TestPanel({ host: '127.0.0.1', port: plain.tlsPort!, panelId: 'tls3', tls: { ca: pki.clientCert } });
  const anonymous = new TestPanel({ host: '127.0.0.1', port: mutual.tlsPort!, panelId: 'tls4', tls: { ca: pki.ca } });
  t.teardown(async () => { await other.stop(); await anonymous.stop(); });
  await other.until(() => other.statuses.length > 0, 'the wrong CA to fail');
  await anonymous.until(() => anonymous.statuses.length > 0, 'the missing client certificate to fail');
  t.false(other.up);
  t.regex(other.statuses[0].reason, /certificate/i, 'the wrong CA is named');
  t.false(anonymous.up);
  t.log(`no client certificate: ${anonymous.statuses[0].reason}`);
});

test('the last will: a panel that vanishes is announced offline (MQTT 5, will delay)', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/w1/status']);
  t.teardown(() => sub.close());
  const { connect, opened } = recordingConnect();
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'w1', willDelay: 0 }, connect);
  t.teardown(() => panel.freeze());
  await sub.until(() => sub.messages.some((m) => text(m.payload) === 'online'), 'online');
  panel.freeze();
  opened[opened.length - 1].close(); // the socket dies under the session: no DISCONNECT
  await sub.until(() => sub.messages.some((m) => text(m.payload) === 'offline'), 'the will');
  const will = sub.messages.find((m) => text(m.payload) === 'offline')!;
  t.true(will.retain, 'the will is retained');
  t.deepEqual(sub.messages.map((m) => text(m.payload)), ['online', 'offline']);
});

test('mosquitto stopped during a burst and restarted: every event arrives, in order, no gaps', async (t) => {
  const broker = await Mosquitto.start({ persistence: true });
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  // A monitor with a persistent session, so that it misses nothing published while it reconnects.
  const sub = await Subscriber.connect(url, ['alarm/f1/event'], {
    clientId: 'monitor-f1', clean: false, properties: { sessionExpiryInterval: 600 },
  });
  t.teardown(() => sub.close());
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'f1', window: 8 });
  t.teardown(() => panel.stop());
  await panel.until(() => panel.up, 'the panel to connect');

  const total = 600;
  let added = 0;
  const burst = async (until: () => boolean) => {
    while (added < total && !until()) { panel.add(20); added += 20; await new Promise(setImmediate); }
  };
  await burst(() => distinct(sub) >= 80);
  panel.add(20); // the stop lands in the middle of this batch
  added += 20;
  await broker.stop('SIGTERM');
  t.log(`mosquitto stopped with ${distinct(sub)} events received, ${added} added`);
  await panel.until(() => !panel.up, 'the panel to notice');
  const atStop = added;
  await burst(() => added >= atStop + 100); // the alarm goes on while the broker is away
  const waiting = panel.outbox.size();
  await broker.run();
  await burst(() => false);
  await sub.until(() => distinct(sub) >= total, `all ${total} events`, 30_000);
  await panel.until(() => panel.outbox.size() === 0, 'the outbox to drain');

  const seqs = sub.messages.map((m) => readEvent(m.payload).seq);
  t.deepEqual(firstArrivals(seqs), range(total), 'in order, no gaps');
  t.log(`${waiting} events waited in the outbox; the panel resent ${panel.uplink.info().resent} with DUP; the subscriber saw ${seqs.length - total} duplicates`);
  t.deepEqual(panel.statuses.map((s) => s.up), [true, false, true], 'up, down, up');
});

test('a frozen broker (SIGSTOP) is a dead link: closed, then reconnected once it thaws', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(async () => { broker.resume(); await broker.stop(); });
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/d1/event']);
  t.teardown(() => sub.close());
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'd1', keepalive: 1, connectTimeout: 1_000 });
  t.teardown(() => panel.stop());
  await panel.until(() => panel.up, 'up');
  broker.pause();
  const frozenAt = performance.now();
  panel.add(3);
  await panel.until(() => !panel.up, 'the dead link to be noticed', 5_000);
  const down = panel.statuses[panel.statuses.length - 1];
  t.regex(down.reason, /dead link|no acknowledgement/);
  t.true(down.at - frozenAt >= 1_000, 'not before the keepalive allows');
  t.log(`closed ${Math.round(down.at - frozenAt)} ms after the freeze: ${down.reason}`);
  broker.resume();
  await sub.until(() => distinct(sub) >= 3, 'the events after the thaw', 15_000);
  t.deepEqual(firstArrivals(sub.messages.map((m) => readEvent(m.payload).seq)), range(3));
});

test('bad bytes from the broker (malformed, PUBACK with a wrong id) close the link; the session reconnects', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const proxy = await FaultyProxy.start(broker.port);
  t.teardown(() => proxy.close());
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/g1/event']);
  t.teardown(() => sub.close());
  const panel = new TestPanel({ host: '127.0.0.1', port: proxy.port, panelId: 'g1' });
  t.teardown(() => panel.stop());
  await panel.until(() => panel.up, 'up');

  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['garbage', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x13]), /malformed packet/],
    ['PUBACK for an unknown packet id', new Uint8Array([0x40, 0x02, 0xff, 0xfe]), /PUBACK for unknown packet id 65534/],
    ['SUBACK nobody asked for', new Uint8Array([0x90, 0x04, 0x12, 0x34, 0x00, 0x01]), /SUBACK for unknown packet id/],
  ];
  let expected = 0;
  for (const [name, bytes, why] of cases) {
    const links = proxy.connections;
    proxy.inject(bytes);
    await panel.until(() => panel.statuses.some((s) => !s.up && why.test(s.reason)), `${name}: the link to close`);
    await panel.until(() => panel.up && proxy.connections === links + 1, `${name}: a new link`);
    expected += 10;
    panel.add(10);
    await sub.until(() => distinct(sub) >= expected, `${name}: events after it`);
    t.pass(name);
  }
  t.deepEqual(firstArrivals(sub.messages.map((m) => readEvent(m.payload).seq)), range(expected), 'nothing lost');
});
