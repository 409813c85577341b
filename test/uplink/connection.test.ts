// The sans-IO MQTT connection, fed bytes and time by hand: what it writes, what it reports and
// when it wants the time again. No socket, no broker, no clock.
import test from 'ava';
import mqtt from 'mqtt-packet';
import { Connection, type ConnectionConfig, type ConnectionEvent } from '../../src/uplink/connection.ts';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets.ts';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const STATUS = 'alarm/t1/status';
const CMD = 'alarm/t1/cmd';

function config(o: Partial<ConnectionConfig> = {}): ConnectionConfig {
  return {
    server: 'broker.test:1883', clientId: 'panel-t1', version: 'auto', keepalive: 30, connectTimeout: 10_000, ackTimeout: 30_000,
    willDelay: 10, sessionExpiry: 86_400, maxPacket: 16_384,
    will: { topic: STATUS, payload: ascii('offline') }, birth: { topic: STATUS, payload: ascii('online') }, subscribe: [CMD],
    ...o,
  };
}

/** Everything the connection has to write, in order. */
function transmits(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let b = c.pollTransmit(); b; b = c.pollTransmit()) out.push(b);
  return out;
}

function events(c: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}

/** Packets as mqtt-packet's own parser reads them. */
function parse(chunks: Uint8Array[], protocolVersion: 4 | 5 = 5): Array<Record<string, any>> {
  const parser = mqtt.parser({ protocolVersion });
  const packets: Array<Record<string, any>> = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (e) => { throw e; });
  for (const b of chunks) parser.parse(Buffer.from(b));
  return packets;
}

const wire = (p: Record<string, unknown>, v: 4 | 5 = 5) => encodePacket(p as unknown as Packet, v);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** A connection that sent CONNECT (at `now`) and read `connack`; what it wrote on the way is consumed. */
function connected(o: Partial<ConnectionConfig> = {}, connack: Record<string, unknown> = { reasonCode: 0 }, now = 0) {
  const c = new Connection(config(o));
  c.start(now);
  c.handleOpen(now);
  const connect = transmits(c);
  // A v4 CONNACK (a return code) is what a 3.1.1 broker answers even to a v5 CONNECT.
  c.handleData(wire({ cmd: 'connack', sessionPresent: false, ...connack }, 'returnCode' in connack ? 4 : c.protocol), now);
  const ev = events(c);
  return { c, connect, ev, after: transmits(c) };
}

/** Connected, with the birth message and the SUBSCRIBE acknowledged at `now`. */
function settled(o: Partial<ConnectionConfig> = {}, now = 0) {
  const { c, after } = connected(o, { reasonCode: 0 }, now);
  for (const p of parse(after)) {
    c.handleData(wire(p.cmd === 'publish' ? { cmd: 'puback', messageId: p.messageId } : { cmd: 'suback', messageId: p.messageId, granted: [1] }), now);
  }
  events(c);
  return c;
}

test('CONNECT: MQTT 5 header, clean start off, will QoS 1 retained, session expiry and maximum packet size', (t) => {
  const c = new Connection(config({ username: 'u', password: 'pässwörd' }));
  c.start(0);
  t.deepEqual(transmits(c), [], 'nothing before the transport is open');
  t.is(c.state, 'opening');
  c.handleOpen(0);
  t.is(c.state, 'connecting');
  const written = transmits(c);
  t.is(written.length, 1, 'one packet');
  const bytes = written[0];
  t.is(bytes[0], 0x10, 'CONNECT');
  // Length-prefixed "MQTT", level 5, flags: user name, password, will retain, will QoS 1, will; no clean start; keepalive 30.
  const at = bytes[1] & 0x80 ? 3 : 2;
  t.deepEqual(Array.from(bytes.subarray(at, at + 10)), [0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x80 | 0x40 | 0x20 | 0x08 | 0x04, 0, 30]);
  const [p] = parse([bytes]);
  t.is(p.clientId, 'panel-t1');
  t.deepEqual(p.properties, { sessionExpiryInterval: 86_400, maximumPacketSize: 16_384 });
  t.is(p.will.topic, STATUS);
  t.is(Buffer.from(p.will.payload).toString(), 'offline');
  t.deepEqual(p.will.properties, { willDelayInterval: 10, payloadFormatIndicator: true, contentType: 'text/plain' });
  t.is(p.username, 'u');
  t.is(Buffer.from(p.password).toString('utf8'), 'pässwörd', 'the password as UTF-8');
});

test('CONNACK → connected, then the birth message and one SUBSCRIBE; SUBACK → subscribed', (t) => {
  const { c, ev, after } = connected({ subscribe: [CMD, 'ha/#'] });
  t.deepEqual(ev, [{ type: 'connected', sessionPresent: false }]);
  t.true(c.up);
  const [birth, sub] = parse(after);
  t.like(birth, { cmd: 'publish', topic: STATUS, qos: 1, retain: true, dup: false });
  t.is(Buffer.from(birth.payload).toString(), 'online');
  t.like(sub, { cmd: 'subscribe' });
  t.deepEqual(sub.subscriptions.map((s: { topic: string; qos: number }) => [s.topic, s.qos]), [[CMD, 1], ['ha/#', 1]]);
  c.handleData(wire({ cmd: 'suback', messageId: sub.messageId, granted: [1, 0x87] }), 0);
  t.deepEqual(events(c), [{ type: 'subscribed', filters: [CMD, 'ha/#'], ok: [true, false] }]);
  c.handleData(wire({ cmd: 'puback', messageId: birth.messageId }), 0);
  t.deepEqual(events(c), [], "the birth message's PUBACK is the connection's own business");
});

test('a refused CONNACK closes with its text', (t) => {
  const { ev, c } = connected({}, { reasonCode: 0x86 });
  t.deepEqual(ev, [{ type: 'closed', reason: 'the broker refused the connection: bad user name or password (0x86)', fallback: false }]);
  t.is(c.state, 'idle');
  const v4 = connected({ version: 4 }, { returnCode: 5 });
  t.deepEqual(v4.ev, [{ type: 'closed', reason: 'the broker refused the connection: not authorised (0x05)', fallback: false }]);
});

test('keepalive: the deadline, PINGREQ when idle, PINGRESP, and a silent broker is a dead link', (t) => {
  const c = settled({ keepalive: 30 }, 1_000);
  t.is(c.pollTimeout(), 31_000, 'a keepalive after the last traffic');
  c.handleTimeout(30_999);
  t.deepEqual(transmits(c), [], 'not yet');
  c.handleTimeout(31_000);
  t.deepEqual(transmits(c).map((b) => Array.from(b)), [[0xc0, 0x00]], 'PINGREQ');
  t.is(c.pollTimeout(), 46_000, '1.5 keepalives after the last packet from the broker');
  c.handleData(Uint8Array.of(0xd0, 0x00), 32_000);
  t.deepEqual(events(c), []);
  t.is(c.pollTimeout(), 61_000, 'the next ping is due a keepalive after the PINGREQ');

  const silent = settled({ keepalive: 30 });
  silent.handleTimeout(30_000);
  t.is(transmits(silent).length, 1, 'PINGREQ');
  silent.handleTimeout(44_999);
  t.deepEqual(events(silent), []);
  silent.handleTimeout(45_000);
  t.deepEqual(events(silent), [{ type: 'closed', reason: 'dead link: nothing from the broker for 45000 ms', fallback: false }]);

  const off = settled({ keepalive: 0 });
  t.is(off.pollTimeout(), undefined, 'keepalive 0: no pings, no deadline');
});

test('connect and acknowledgement timeouts', (t) => {
  const c = new Connection(config({ connectTimeout: 5_000 }));
  c.start(100);
  t.is(c.pollTimeout(), 5_100);
  c.handleTimeout(5_099);
  t.deepEqual(events(c), []);
  c.handleTimeout(5_100);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'no CONNACK from broker.test:1883 within 5000 ms', fallback: false }]);
  t.is(c.pollTimeout(), undefined, 'idle: nothing to wait for');

  const { c: up } = connected({ keepalive: 0, ackTimeout: 2_000 });
  t.is(up.pollTimeout(), 2_000, 'the birth message waits for its PUBACK');
  up.handleTimeout(2_000);
  t.deepEqual(events(up), [{ type: 'closed', reason: 'no acknowledgement from the broker for 2000 ms', fallback: false }]);
});

test('PUBACK matching: the id of a PUBLISH of ours, with its code; an unknown id is a protocol error', (t) => {
  const { c } = connected();
  const id = c.allocId();
  t.true(c.publish({ topic: 'alarm/t1/event', payload: Uint8Array.of(1), qos: 1, retain: false, dup: false, id, contentType: 'application/cbor' }, 0));
  const [p] = parse(transmits(c));
  t.like(p, { cmd: 'publish', messageId: id, qos: 1, dup: false });
  t.deepEqual(p.properties, { contentType: 'application/cbor' });
  t.is(c.inFlight, 2, 'the birth message and this one');
  c.handleData(wire({ cmd: 'puback', messageId: id, reasonCode: 0x10 }), 0);
  t.deepEqual(events(c), [{ type: 'puback', id, code: 0x10 }]);
  t.not(c.allocId(), id, 'the id stays taken until released');

  c.handleData(wire({ cmd: 'puback', messageId: id }), 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: `protocol error: PUBACK for unknown packet id ${id}`, fallback: false }]);
  t.deepEqual(parse(transmits(c)).map((d) => [d.cmd, d.reasonCode]), [['disconnect', 0x82]], 'a v5 DISCONNECT 0x82 first');
});

test('a PUBLISH from the broker is reported, then PUBACKed; QoS 2 is a protocol error', (t) => {
  const { c } = connected();
  c.handleData(wire({ cmd: 'publish', topic: CMD, qos: 1, messageId: 42, retain: false, dup: false, payload: payload(Uint8Array.of(9, 8)) }), 0);
  t.deepEqual(events(c), [{ type: 'message', topic: CMD, payload: Uint8Array.of(9, 8) }]);
  t.deepEqual(parse(transmits(c)).map((d) => [d.cmd, d.messageId]), [['puback', 42]]);
  c.handleData(wire({ cmd: 'publish', topic: CMD, qos: 2, messageId: 43, retain: false, dup: false, payload: payload(Uint8Array.of(1)) }), 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'protocol error: QoS 2 PUBLISH on a QoS 1 subscription', fallback: false }]);
});

test('v5 → 3.1.1 fall-back: on CONNACK 0x84, on return code 1, and on a hang-up after the v5 CONNECT', (t) => {
  for (const connack of [{ reasonCode: 0x84 }, { returnCode: 1 }]) {
    const { c, ev } = connected({}, connack);
    t.deepEqual(ev, [{ type: 'closed', reason: `the broker refused MQTT 5 (0x${(connack.reasonCode ?? connack.returnCode)!.toString(16).padStart(2, '0')}); using MQTT 3.1.1`, fallback: true }]);
    c.start(0);
    c.handleOpen(0);
    t.is(transmits(c)[0][8], 4, 'the next CONNECT is 3.1.1');
  }
  const c = new Connection(config());
  c.start(0);
  c.handleOpen(0);
  transmits(c);
  c.handleClose('reset by peer', 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'link closed before CONNACK (reset by peer); trying MQTT 3.1.1', fallback: true }]);
  c.start(0);
  c.handleOpen(0);
  const [connect] = transmits(c);
  t.is(connect[8], 4, '3.1.1 next');
  t.is(parse([connect], 4)[0].will.properties, undefined, 'no v5 properties in a 3.1.1 CONNECT');
  c.handleData(wire({ cmd: 'connack', sessionPresent: false, returnCode: 0 }, 4), 0);
  t.deepEqual(events(c), [{ type: 'connected', sessionPresent: false }]);
  c.handleClose('gone', 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'link closed: gone', fallback: false }]);
  c.start(0);
  c.handleOpen(0);
  t.is(transmits(c)[0][8], 4, '3.1.1 worked: it stays');

  const pinned = connected({ version: 5 }, { reasonCode: 0x84 });
  t.deepEqual(pinned.ev, [{ type: 'closed', reason: 'the broker refused the connection: unsupported protocol version (0x84)', fallback: false }], 'no fall-back when 5 is pinned');
});

test('a packet larger than maxPacket closes the link with DISCONNECT 0x95, before it is all buffered', (t) => {
  const { c } = connected({ maxPacket: 1_000 });
  // A PUBLISH announcing 100,000 bytes, sent in pieces.
  c.handleData(Uint8Array.of(0x30, 0xa0, 0x8d, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x62), 0);
  c.handleData(new Uint8Array(900), 0);
  t.deepEqual(events(c), [], '909 bytes: still within the cap');
  c.handleData(new Uint8Array(200), 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'a packet from the broker exceeds 1000 bytes', fallback: false }]);
  t.deepEqual(parse(transmits(c)).map((d) => [d.cmd, d.reasonCode]), [['disconnect', 0x95]]);

  const fits = connected({ maxPacket: 1_000 }).c;
  fits.handleData(wire({ cmd: 'publish', topic: CMD, qos: 0, retain: false, dup: false, payload: payload(new Uint8Array(980)) }), 0);
  t.is(events(fits)[0]?.type, 'message', 'a packet within the cap is read');
});

test('what the broker cannot take is not sent when it must fit (fit = true)', (t) => {
  const { c } = connected({}, { reasonCode: 0, properties: { maximumPacketSize: 100 } });
  t.is(c.brokerMaxPacket, 100);
  const big = { topic: 'alarm/t1/log', payload: new Uint8Array(120), qos: 0 as const, retain: false, dup: false };
  t.false(c.publish(big, 0, true));
  t.deepEqual(transmits(c), []);
  t.true(c.publish({ ...big, payload: new Uint8Array(50) }, 0, true));
  t.is(transmits(c).length, 1);
});

test('malformed bytes close the link with DISCONNECT 0x81', (t) => {
  const { c } = connected();
  c.handleData(Uint8Array.of(0x41, 0x02, 0x00, 0x01), 0); // PUBACK with reserved flag bits set
  const [closed] = events(c);
  t.like(closed, { type: 'closed', fallback: false });
  t.regex((closed as { reason: string }).reason, /^malformed packet from the broker: /);
  t.deepEqual(parse(transmits(c)).map((d) => [d.cmd, d.reasonCode]), [['disconnect', 0x81]]);

  const body = connected().c;
  body.handleData(Uint8Array.of(0xd0, 0x01, 0x00), 0);
  t.deepEqual(events(body), [{ type: 'closed', reason: 'malformed packet from the broker: PINGRESP with a body', fallback: false }]);
  t.deepEqual(parse(transmits(body)).map((d) => d.reasonCode), [0x81]);
});

test('packets are handled one at a time: what follows a failed write is never handled', (t) => {
  const pub = (messageId: number) => wire({ cmd: 'publish', topic: CMD, qos: 1, messageId, retain: false, dup: false, payload: payload(Uint8Array.of(messageId)) });
  const { c } = connected();
  c.handleData(concat(pub(1), pub(2), Uint8Array.of(0xff, 0xff)), 0);
  t.like(c.pollEvent(), { type: 'message', payload: Uint8Array.of(1) });
  t.deepEqual(parse(transmits(c)).map((d) => [d.cmd, d.messageId]), [['puback', 1]], 'the first PUBACK, before the second packet is read');
  c.abort('the transport refused the write', 0);
  t.deepEqual(events(c), [{ type: 'closed', reason: 'the transport refused the write', fallback: false }], 'the second PUBLISH and the garbage are dropped');
  t.deepEqual(transmits(c), [], 'no DISCONNECT after a failed write');

  // Without a failure, the chunk goes on: the second message, then the garbage closes the link.
  const { c: d } = connected();
  d.handleData(concat(pub(1), pub(2), Uint8Array.of(0xff, 0xff)), 0);
  t.deepEqual(events(d).map((e) => e.type), ['message', 'message', 'closed']);
});

test('a CONNACK and what follows in one chunk: birth and SUBSCRIBE go out before the PUBACK', (t) => {
  const c = new Connection(config());
  c.start(0);
  c.handleOpen(0);
  transmits(c);
  c.handleData(concat(
    wire({ cmd: 'connack', sessionPresent: true, reasonCode: 0 }),
    wire({ cmd: 'publish', topic: CMD, qos: 1, messageId: 5, retain: false, dup: false, payload: payload(Uint8Array.of(7)) }),
  ), 0);
  t.deepEqual(c.pollEvent(), { type: 'connected', sessionPresent: true });
  t.deepEqual(parse(transmits(c)).map((p) => p.cmd), ['publish', 'subscribe']);
  t.like(c.pollEvent(), { type: 'message' });
  t.deepEqual(parse(transmits(c)).map((p) => p.cmd), ['puback']);
});

test('close: "offline" on the will topic, then DISCONNECT 0x00', (t) => {
  const { c } = connected();
  c.close(0);
  const [offline, disconnect] = parse(transmits(c));
  t.like(offline, { cmd: 'publish', topic: STATUS, retain: true, qos: 1 });
  t.is(Buffer.from(offline.payload).toString(), 'offline');
  t.like(disconnect, { cmd: 'disconnect', reasonCode: 0 });
});

test('a birth message that cannot be written: no SUBSCRIBE is made and no id is lost', (t) => {
  const c = new Connection(config());
  c.start(0);
  c.handleOpen(0);
  transmits(c);
  c.handleData(wire({ cmd: 'connack', sessionPresent: false, reasonCode: 0 }), 0);
  t.like(c.pollEvent(), { type: 'connected' });
  const birth = parse([c.pollTransmit()!])[0];
  c.abort('the transport refused the write', 0); // the uplink's write of the birth message failed
  t.is(c.pollTransmit(), undefined, 'no SUBSCRIBE');
  t.is(c.allocId(), birth.messageId + 1, 'the id the SUBSCRIBE would have taken is the next one given');
});
