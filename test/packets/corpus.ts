// Packets of every kind mqtt-packet writes and reads, v3.1.1 and v5, with every property type
// (byte, int8, int16, int32, var, string, binary, pair). Binary fields are plain Uint8Arrays:
// each test makes them Buffers of the class under test.
export interface Case { name: string; version: 4 | 5; packet: Record<string, unknown> }

const bytes = (...b: number[]) => new Uint8Array(b);
const cbor = bytes(0xa3, 0x01, 0x18, 0x82, 0x02, 0x1a, 0x00, 0x01, 0xe2, 0x40, 0x03, 0x63, 0x61, 0x62, 0x63);

export const corpus: Case[] = [
  { name: 'connect v4', version: 4, packet: { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'panel-0001', keepalive: 30 } },
  {
    name: 'connect v4, will, user, password', version: 4, packet: {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, clientId: 'pánel-é', keepalive: 60,
      username: 'installer', password: bytes(0x73, 0x65, 0x63, 0x72, 0x65, 0x74),
      will: { topic: 'alarm/p/status', payload: bytes(0x6f, 0x66, 0x66), qos: 1, retain: true },
    },
  },
  {
    name: 'connect v5, properties, will properties', version: 5, packet: {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'panel-0001', keepalive: 30,
      username: 'u', password: bytes(1, 2, 3),
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 8, maximumPacketSize: 65536, topicAliasMaximum: 0, requestResponseInformation: false, requestProblemInformation: true, userProperties: { fw: '1.0', zones: ['8', 'ü'] } },
      will: {
        topic: 'alarm/p/status', payload: bytes(0x6f, 0x66, 0x66), qos: 1, retain: true,
        properties: { willDelayInterval: 5, payloadFormatIndicator: false, messageExpiryInterval: 100, contentType: 'application/cbor', responseTopic: 'r/t', correlationData: bytes(9, 8, 7) },
      },
    },
  },
  { name: 'connack v4', version: 4, packet: { cmd: 'connack', returnCode: 0, sessionPresent: true } },
  {
    name: 'connack v5, properties', version: 5, packet: {
      cmd: 'connack', reasonCode: 0, sessionPresent: false,
      properties: { sessionExpiryInterval: 10, receiveMaximum: 20, maximumQoS: 1, retainAvailable: true, maximumPacketSize: 1000, assignedClientIdentifier: 'abc', topicAliasMaximum: 5, reasonString: 'ok', wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: false, sharedSubscriptionAvailable: true, serverKeepAlive: 40, responseInformation: 'ri', serverReference: 'sr', authenticationMethod: 'am', authenticationData: bytes(1) },
    },
  },
  { name: 'publish v4 qos 0', version: 4, packet: { cmd: 'publish', topic: 'alarm/p/state', payload: cbor, qos: 0, retain: true, dup: false } },
  { name: 'publish v4 qos 1', version: 4, packet: { cmd: 'publish', topic: 'alarm/p/event', payload: cbor, qos: 1, messageId: 300, retain: false, dup: true } },
  { name: 'publish v4 qos 2, empty payload', version: 4, packet: { cmd: 'publish', topic: 'a', payload: bytes(), qos: 2, messageId: 65535, retain: false, dup: false } },
  { name: 'publish v5 event (the panel\'s)', version: 5, packet: { cmd: 'publish', topic: 'alarm/sim-0001/event', payload: cbor, qos: 1, messageId: 17, retain: false, dup: false, properties: { contentType: 'application/cbor' } } },
  { name: 'publish v5, no properties', version: 5, packet: { cmd: 'publish', topic: 'alarm/p/state', payload: cbor, qos: 0, retain: true, dup: false } },
  {
    name: 'publish v5, every publish property, non-ASCII topic', version: 5, packet: {
      cmd: 'publish', topic: 'alarm/zöne/😀/event', payload: new Uint8Array(300).map((_, i) => i), qos: 1, messageId: 1, retain: false, dup: false,
      properties: { payloadFormatIndicator: true, messageExpiryInterval: 4321, topicAlias: 3, responseTopic: 'alarm/p/reply', correlationData: bytes(1, 2, 3, 4), userProperties: { a: 'b', ç: ['d', 'é'] }, subscriptionIdentifier: 200000, contentType: 'text/plain' },
    },
  },
  { name: 'puback v4', version: 4, packet: { cmd: 'puback', messageId: 17 } },
  { name: 'puback v5', version: 5, packet: { cmd: 'puback', messageId: 17, reasonCode: 0 } },
  { name: 'puback v5, reason', version: 5, packet: { cmd: 'puback', messageId: 17, reasonCode: 16, properties: { reasonString: 'no subscribers' } } },
  { name: 'pubrec v5', version: 5, packet: { cmd: 'pubrec', messageId: 2, reasonCode: 0 } },
  { name: 'pubrel v4', version: 4, packet: { cmd: 'pubrel', messageId: 2 } },
  { name: 'pubcomp v5', version: 5, packet: { cmd: 'pubcomp', messageId: 2, reasonCode: 0 } },
  { name: 'subscribe v4', version: 4, packet: { cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'alarm/p/cmd', qos: 1 }, { topic: 'alarm/+/x', qos: 0 }] } },
  {
    name: 'subscribe v5, options, properties', version: 5, packet: {
      cmd: 'subscribe', messageId: 5, properties: { subscriptionIdentifier: 7, userProperties: { k: 'v' } },
      subscriptions: [{ topic: 'alarm/p/cmd', qos: 1, nl: true, rap: true, rh: 1 }, { topic: '$share/g/alarm/#', qos: 0, nl: false, rap: false, rh: 0 }],
    },
  },
  { name: 'suback v4', version: 4, packet: { cmd: 'suback', messageId: 5, granted: [1, 0, 128] } },
  { name: 'suback v5', version: 5, packet: { cmd: 'suback', messageId: 5, granted: [1, 0x87], properties: { reasonString: 'no' } } },
  { name: 'unsubscribe v4', version: 4, packet: { cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['alarm/p/cmd', 'a/b'] } },
  { name: 'unsubscribe v5', version: 5, packet: { cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['alarm/p/cmd'], properties: { userProperties: { x: 'y' } } } },
  { name: 'unsuback v5', version: 5, packet: { cmd: 'unsuback', messageId: 6, granted: [0, 17] } },
  { name: 'pingreq', version: 4, packet: { cmd: 'pingreq' } },
  { name: 'pingresp', version: 5, packet: { cmd: 'pingresp' } },
  { name: 'disconnect v4', version: 4, packet: { cmd: 'disconnect' } },
  { name: 'disconnect v5, reason, properties', version: 5, packet: { cmd: 'disconnect', reasonCode: 0x8e, properties: { sessionExpiryInterval: 0, reasonString: 'taken over', serverReference: 'b2' } } },
  { name: 'auth v5', version: 5, packet: { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: bytes(1, 2), reasonString: 're', userProperties: { a: 'b' } } } },
];

/** The same packet with every binary field made by `make` (the Buffer class under test). */
export function withBuffers(packet: Record<string, unknown>, make: (b: Uint8Array) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(packet)) {
    if (v instanceof Uint8Array) out[k] = make(v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = withBuffers(v as Record<string, unknown>, make);
    else out[k] = v;
  }
  return out;
}
