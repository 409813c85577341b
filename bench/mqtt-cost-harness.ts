// Runs inside XS (bundled by bench/mqtt-cost.ts twice: with the firmware's Buffer, tools/shims/buffer.ts,
// and with the `buffer` package it replaced): what an event PUBLISH costs through mqtt-packet, and
// its pieces, each a call of `probe` metered alone.
import { Buffer } from 'buffer';
import { generate, writeToStream } from 'mqtt-packet';
import { encodePacket, payload } from '../src/uplink/packets';

writeToStream.cacheNumbers = false;
/** The bench panel's event: topic, a 28-byte CBOR payload, QoS 1, content type (as src/uplink/session.ts sends it). */
const topic = 'alarm/bench/event';
const bytes = new Uint8Array(28).map((_, i) => (i * 37) & 0xff);
const publish = (version: 4 | 5) => ({
  cmd: 'publish', topic, payload: payload(bytes), qos: 1, messageId: 17, retain: false, dup: false,
  ...(version === 5 ? { properties: { contentType: 'application/cbor' } } : {}),
}) as never;
const p5 = publish(5);
const p4 = publish(4);
const connect = {
  cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: false, clientId: 'bench', keepalive: 30,
  username: 'panel', password: payload(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
  will: { topic: 'alarm/bench/status', payload: payload(new Uint8Array([0x6f, 0x66, 0x66])), qos: 1, retain: true },
  properties: { sessionExpiryInterval: 3600 },
} as never;
const subscribe = { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'alarm/bench/cmd', qos: 1 }] } as never;

const chunks: unknown[] = [];
/** A stream that only keeps what it is given: writeToStream's own work, with no concatenation. */
const collect = { write(c: unknown) { chunks.push(c); return true; }, destroy(e?: Error) { if (e) throw e; } };
let target: Buffer | undefined;
const scratch = () => (target ??= Buffer.allocUnsafe(64)); // made at the first call, not at load
const pay = payload(bytes) as unknown as Buffer;

const probe = {
  noop(..._a: unknown[]) { return 0; },
  generate5() { return generate(p5, { protocolVersion: 5 }).length; },
  encode5() { return encodePacket(p5, 5).length; },
  stream5() { chunks.length = 0; writeToStream(p5, collect as never, { protocolVersion: 5 }); return chunks.length; },
  generate4() { return generate(p4, { protocolVersion: 4 }).length; },
  encode4() { return encodePacket(p4, 4).length; },
  generateConnect() { return generate(connect, { protocolVersion: 5 }).length; },
  encodeConnect() { return encodePacket(connect, 5).length; },
  generateSubscribe() { return generate(subscribe, { protocolVersion: 5 }).length; },
  encodeSubscribe() { return encodePacket(subscribe, 5).length; },
  byteLength() { return Buffer.byteLength(topic); },
  write() { return scratch().write(topic, 3); },
  fromArray() { return Buffer.from([3]).length; },
  fromView() { return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).length; },
  allocUnsafe() { return Buffer.allocUnsafe(2).length; },
  writeUInt8() { return scratch().writeUInt8(5, 0); },
  copy() { return pay.copy(scratch(), 10); },
  // How the shim makes a Buffer, against the two other ways (a derived class's constructor is what it avoids).
  uint8Array() { return new Uint8Array(2).length; },
  withPrototype() { return Object.setPrototypeOf(new Uint8Array(2), proto).length; },
  derived() { return new Derived(2).length; },
};
const proto = Buffer.prototype;
class Derived extends Uint8Array {}
(globalThis as unknown as { bench: typeof probe }).bench = probe; // the name bench/xs.ts meters through
