// The panel's packets are the same bytes with the firmware's Buffer (tools/shims/buffer.ts) and
// encodePacket's sink as they were with generate() and the `buffer` package, and as mqtt-packet
// makes them on Node; and they read back the same. Both firmware variants are bundled as the
// firmware is (tools/build.ts) and run in a fresh realm.
import test from 'ava';
import vm from 'node:vm';
import mqtt from 'mqtt-packet';
import { bundle, repoRoot } from '../../tools/build.ts';
import { corpus, withBuffers } from './corpus.ts';

/** Packets cross into the bundle's realm as JSON text, bytes as { u8: [...] } (instanceof does not cross realms). */
type Encode = (json: string, version: 4 | 5) => number[] | string;
const toJson = (packet: Record<string, unknown>) => JSON.stringify(packet, (_k, v) => v instanceof Uint8Array ? { u8: Array.from(v) } : v);
type Decode = (bytes: number[], version: 4 | 5) => string;

const shared = `
import { withBuffers } from './test/packets/corpus.ts';
const revive = (json) => JSON.parse(json, (_k, v) => v && Array.isArray(v.u8) ? new Uint8Array(v.u8) : v);
const result = (f) => { try { return f(); } catch (e) { return 'throws ' + e.message; } };
const plain = (v) => v instanceof Uint8Array ? { bytes: Array.from(v) } : Array.isArray(v) ? v.map(plain)
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
`;

async function load(contents: string, bufferPackage: boolean): Promise<{ encode: Encode; decode?: Decode }> {
  const { code } = await bundle({ stdin: { contents: shared + contents, resolveDir: repoRoot }, format: 'iife', bufferPackage });
  const realm = vm.createContext({});
  vm.runInContext(code, realm);
  return realm.__packets as { encode: Encode; decode?: Decode };
}

const before = load(`
import { generate, writeToStream } from 'mqtt-packet';
import { Buffer } from 'buffer';
writeToStream.cacheNumbers = false;
globalThis.__packets = { encode: (p, v) => result(() => Array.from(generate(withBuffers(revive(p), (b) => Buffer.from(b)), { protocolVersion: v }))) };
`, true);

const after = load(`
import { encodePacket, packetReader, payload } from './src/uplink/packets.ts';
globalThis.__packets = {
  encode: (p, v) => result(() => Array.from(encodePacket(withBuffers(revive(p), payload), v))),
  decode: (bytes, v) => {
    const out = [];
    packetReader(v, (p) => out.push(plain(p)), (e) => out.push('error ' + e.message)).push(new Uint8Array(bytes));
    return JSON.stringify(out);
  },
};
`, false);

const plain = (v: unknown): unknown => v instanceof Uint8Array ? { bytes: Array.from(v) } : Array.isArray(v) ? v.map(plain)
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

test('every packet of the corpus: the same bytes before, after, and on Node; and it reads back the same', async (t) => {
  const [old, now] = await Promise.all([before, after]);
  mqtt.writeToStream.cacheNumbers = false;
  for (const { name, packet, version } of corpus) {
    const node = Array.from(mqtt.generate(withBuffers(packet, (b) => Buffer.from(b)) as never, { protocolVersion: version }));
    const bytes = now.encode(toJson(packet), version);
    t.deepEqual(bytes, old.encode(toJson(packet), version), `${name}: firmware before and after`);
    t.deepEqual(bytes, node, `${name}: firmware and Node`);
    const parser = mqtt.parser({ protocolVersion: version });
    const read: unknown[] = [];
    parser.on('packet', (p) => read.push(plain(p)));
    parser.parse(Buffer.from(node));
    t.is(now.decode!(node, version), JSON.stringify(read), `${name}: read back`);
  }
});

test('a packet mqtt-packet refuses throws the same error as generate() did', async (t) => {
  const [old, now] = await Promise.all([before, after]);
  const refused: Array<[Record<string, unknown>, 4 | 5]> = [
    [{ cmd: 'publish', qos: 1, payload: new Uint8Array(1), messageId: 1 }, 5], // no topic
    [{ cmd: 'publish', topic: 'a', qos: 1, payload: new Uint8Array(1) }, 4], // no messageId
    [{ cmd: 'publish', topic: 'a', qos: 0, payload: new Uint8Array(1), properties: { contentType: 7 } }, 5],
    [{ cmd: 'subscribe', messageId: 1, subscriptions: [] }, 4],
    [{ cmd: 'puback', messageId: 70000 }, 4], // beyond 16 bits
    [{ cmd: 'nonsense' }, 4],
  ];
  for (const [packet, version] of refused) {
    const was = old.encode(toJson(packet), version);
    t.regex(String(was), /^throws /, `${toJson(packet)} was refused`);
    t.is(now.encode(toJson(packet), version), was, toJson(packet));
  }
});
