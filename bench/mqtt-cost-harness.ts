// Runs inside XS (bundled by bench/mqtt-cost.ts): the pieces of one event PUBLISH through
// mqtt-packet, each a call of `probe` metered alone.
import { Buffer } from 'buffer';
import { generate, writeToStream } from 'mqtt-packet';

writeToStream.cacheNumbers = false;
const topic = 'alarm/bench-panel-0001/event';
const bytes = new Uint8Array(28).map((_, i) => i * 7);
const pay = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const packet = (v5: boolean) => ({
  cmd: 'publish', topic, payload: pay, qos: 1, messageId: 17, retain: false, dup: false,
  ...(v5 ? { properties: { contentType: 'application/cbor' } } : {}),
}) as never;
const p5 = packet(true);
const p5bare = { ...(p5 as object), properties: undefined } as never;
const p4 = packet(false);
let sink: unknown[] = [];
const collect = { write(c: unknown) { sink.push(c); return true; }, destroy(e?: Error) { if (e) throw e; } };
let target: Buffer;
const probe = {
  noop(..._a: unknown[]) { return 0; },
  generateV5() { return generate(p5, { protocolVersion: 5 }).length; },
  generateV5bare() { return generate(p5bare, { protocolVersion: 5 }).length; },
  generateV4() { return generate(p4, { protocolVersion: 4 }).length; },
  streamV5() { sink = []; writeToStream(p5, collect as never, { protocolVersion: 5 }); return sink.length; },
  streamV4() { sink = []; writeToStream(p4, collect as never, { protocolVersion: 4 }); return sink.length; },
  fromView() { return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).length; },
  fromArray() { return Buffer.from([3]).length; },
  allocUnsafe() { return Buffer.allocUnsafe(2).length; },
  byteLength() { return Buffer.byteLength(topic); },
  write() { target ??= Buffer.allocUnsafe(64); return target.write(topic, 3); },
  copy() { target ??= Buffer.allocUnsafe(64); return pay.copy(target, 10); },
  isBuffer() { return Buffer.isBuffer(pay) ? 1 : 0; },
  writeUInt8() { target ??= Buffer.allocUnsafe(64); return target.writeUInt8(5, 0); },
  plainU8() { return new Uint8Array(2).length; },
};
(globalThis as unknown as { probe: typeof probe }).probe = probe;
const ascii = /^[\x00-\x7f]*$/;
const extra = {
  te() { return new TextEncoder().encode(topic).length; },
  re() { return ascii.test(topic) ? topic.length : -1; },
  loop() { let n = 0; for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) < 0x80) n++; return n; },
  empty() { for (let i = 0; i < 28; i++); return 0; },
};
Object.assign(probe, extra);
// A sink that writes each chunk straight into one scratch buffer.
let scratch: Buffer | undefined;
let at = 0;
const direct = {
  write(chunk: Uint8Array | string) {
    if (typeof chunk === 'string') {
      const n = Buffer.byteLength(chunk);
      if (!scratch || at + n > scratch.length) grow(n);
      at += scratch!.write(chunk, at);
    } else {
      if (!scratch || at + chunk.length > scratch.length) grow(chunk.length);
      scratch!.set(chunk, at);
      at += chunk.length;
    }
    return true;
  },
  destroy(e?: Error) { if (e) throw e; },
};
function grow(n: number) {
  const next = Buffer.allocUnsafe(Math.max(256, 2 * (at + n)));
  if (scratch) next.set(scratch.subarray(0, at));
  scratch = next;
}
Object.assign(probe, {
  sinkV5() { at = 0; writeToStream(p5, direct as never, { protocolVersion: 5 }); return scratch!.slice(0, at).length; },
  sinkV5u8() { at = 0; writeToStream(p5, direct as never, { protocolVersion: 5 }); return new Uint8Array(scratch!.subarray(0, at)).length; },
  sinkV4() { at = 0; writeToStream(p4, direct as never, { protocolVersion: 4 }); return new Uint8Array(scratch!.subarray(0, at)).length; },
});
import { encodePacket, payload } from '../src/uplink/packets';
const pp5 = { ...(p5 as object), payload: payload(bytes) } as never;
const pp4 = { ...(p4 as object), payload: payload(bytes) } as never;
Object.assign(probe, {
  encodeV5() { return encodePacket(pp5, 5).length; },
  encodeV4() { return encodePacket(pp4, 4).length; },
});
