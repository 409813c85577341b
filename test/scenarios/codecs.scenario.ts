// mqtt-packet and cbor-x as the firmware sets them up: the same bytes on Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { encodeCbor, decodeCbor } from '../../src/uplink/cbor';
import { encodePacket, packetReader, payload, type Packet, type ProtocolVersion } from '../../src/uplink/packets';

const bytes = (...b: number[]) => new Uint8Array(b);
const text = (s: string) => new TextEncoder().encode(s);

function roundTrip(packet: Packet, version: ProtocolVersion): Packet[] {
  const out: Packet[] = [];
  packetReader(version, (p) => out.push(p), (e) => { throw e; }).push(encodePacket(packet, version));
  return out;
}

const packets: Array<[string, ProtocolVersion, Packet]> = [
  ['connect v5 with will', 5, {
    cmd: 'connect', protocolVersion: 5, clientId: 'panel-a1b2c3', clean: false, keepalive: 30,
    username: 'panel', password: payload(text('secret')),
    properties: { sessionExpiryInterval: 86400 },
    will: {
      topic: 'alarm/a1b2c3/status', payload: payload(text('offline')), qos: 1, retain: true,
      properties: { willDelayInterval: 5 },
    },
  }],
  ['connect 3.1.1', 4, { cmd: 'connect', protocolVersion: 4, clientId: 'panel-a1b2c3', clean: true, keepalive: 30 }],
  ['connack v5', 5, { cmd: 'connack', sessionPresent: true, reasonCode: 0 }],
  ['publish qos1 v5 cbor', 5, {
    cmd: 'publish', topic: 'alarm/a1b2c3/event', qos: 1, retain: false, dup: false, messageId: 7,
    payload: payload(bytes(0xa2, 0x01, 0x18, 0x82, 0x02, 0x01)),
    properties: { contentType: 'application/cbor', payloadFormatIndicator: false },
  }],
  ['publish retained 3.1.1 dup', 4, {
    cmd: 'publish', topic: 'alarm/a1b2c3/state', qos: 1, retain: true, dup: true, messageId: 65535,
    payload: payload(bytes(0xa1, 0x01, 0x00)),
  }],
  ['puback v5 id 258', 5, { cmd: 'puback', messageId: 258, reasonCode: 0 }],
  ['subscribe v5', 5, {
    cmd: 'subscribe', messageId: 1,
    subscriptions: [{ topic: 'alarm/a1b2c3/cmd', qos: 1, nl: true, rap: false, rh: 0 }],
  }],
  ['suback 3.1.1', 4, { cmd: 'suback', messageId: 1, granted: [1] }],
  ['pingreq', 4, { cmd: 'pingreq' }],
  ['disconnect v5', 5, { cmd: 'disconnect', reasonCode: 0 }],
];

export default defineScenarios('codecs', {
  'mqtt packets encode to the same bytes and parse back': (t) => {
    for (const [name, version, packet] of packets) {
      const wire = encodePacket(packet, version);
      t.log(name, wire);
      const back = roundTrip(packet, version);
      t.is(back.length, 1, `${name}: parses back to one packet`);
      t.is(back[0].cmd, packet.cmd, `${name}: same command`);
    }
  },
  'mqtt packets match the MQTT spec byte for byte': (t) => {
    t.is(encodePacket({ cmd: 'pingreq' }, 4), bytes(0xc0, 0x00), 'PINGREQ is c0 00');
    t.is(encodePacket({ cmd: 'puback', messageId: 258 }, 4), bytes(0x40, 0x02, 0x01, 0x02), 'PUBACK 3.1.1 carries the packet id');
    t.is(encodePacket({ cmd: 'disconnect' }, 4), bytes(0xe0, 0x00), 'DISCONNECT is e0 00');
    const pub = encodePacket({ cmd: 'publish', topic: 'a/b', qos: 1, messageId: 1, retain: true, dup: false, payload: payload(bytes(1)) }, 4);
    t.is(pub, bytes(0x33, 0x08, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x01, 0x01), 'PUBLISH qos1 retain: flags, topic, id, payload');
  },
  'a publish keeps its properties through a round trip': (t) => {
    const [p] = roundTrip(packets[3][2], 5) as Array<{ properties?: { contentType?: string }; payload: Uint8Array; messageId?: number }>;
    t.is(p.properties?.contentType, 'application/cbor', 'content type');
    t.is(new Uint8Array(p.payload), bytes(0xa2, 0x01, 0x18, 0x82, 0x02, 0x01), 'payload bytes');
    t.is(p.messageId, 7, 'packet id');
  },
  'packets split across reads are reassembled': (t) => {
    const wire = encodePacket(packets[3][2], 5);
    const got: Packet[] = [];
    const reader = packetReader(5, (p) => got.push(p), (e) => { throw e; });
    for (let i = 0; i < wire.length; i++) reader.push(wire.subarray(i, i + 1));
    t.is(got.length, 1, 'one packet from byte-by-byte reads');
  },
  'a malformed packet is an error, not a crash': (t) => {
    const errors: string[] = [];
    const reader = packetReader(4, () => {}, (e) => errors.push(e.message));
    reader.push(bytes(0x00, 0x00)); // packet type 0 is reserved
    reader.push(bytes(0xc0, 0x00)); // ignored: the stream is out of step after an error
    t.is(errors.length, 1, 'exactly one error is reported');
    t.log('error', errors[0]);
  },
  'cbor is minimal and deterministic': (t) => {
    t.is(encodeCbor(new Map<number, unknown>([[1, 130], [2, 1]])), bytes(0xa2, 0x01, 0x18, 0x82, 0x02, 0x01), 'integer-keyed map, shortest integers');
    t.is(encodeCbor(bytes(1, 2, 3)), bytes(0x43, 1, 2, 3), 'byte string without tag 64');
    t.is(encodeCbor({ v: 1 }), bytes(0xa1, 0x61, 0x76, 0x01), 'text-keyed map without records');
    t.is(encodeCbor(-1), bytes(0x20), 'negative integer');
    t.is(encodeCbor(4294967295), bytes(0x1a, 0xff, 0xff, 0xff, 0xff), '2^32-1 as a 4-byte integer (wall times are seconds)');
    t.is(encodeCbor('zone'), bytes(0x64, 0x7a, 0x6f, 0x6e, 0x65), 'text string');
    t.is(encodeCbor([true, false, null]), bytes(0x83, 0xf5, 0xf4, 0xf6), 'simple values');
    const event = new Map<number, unknown>([[0, 1], [1, 4711], [2, 3], [3, 123456], [4, 130], [5, 1], [6, 3]]);
    const wire = encodeCbor(event);
    t.log('event', wire);
    t.is(decodeCbor(wire), event, 'decodes back to the same map');
  },
  'a record definition in untrusted input does not change later decodes': (t) => {
    const hexBytes = (s: string) => new Uint8Array(s.match(/../g)!.map((x) => parseInt(x, 16)));
    decodeCbor(hexBytes('d8698319e00081616101')); // defines record 0xe000 with key "a"
    const later = decodeCbor(hexBytes('d9e0008105'));
    t.ok(!(later instanceof Map) && (later as { a?: unknown }).a === undefined, 'the record did not persist');
  },
  'bad cbor is refused with a clear error': (t) => {
    t.throws(() => decodeCbor(bytes()), /empty CBOR/, 'empty input');
    t.throws(() => decodeCbor(bytes(0xa2, 0x01)), /malformed CBOR/, 'truncated map');
    t.throws(() => decodeCbor(bytes(0x01, 0x02)), /expected one CBOR item, found 2/, 'trailing item');
  },
});
