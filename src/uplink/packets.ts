// MQTT packets: every byte on the wire is generated and parsed by mqtt-packet.
import { generate, parser as mqttParser, writeToStream, type IPublishPacket, type Packet as MqttPacket } from 'mqtt-packet';

// On an ESP32 the default number cache (65,536 pre-built buffers) would exhaust the heap.
writeToStream.cacheNumbers = false;

export type Packet = MqttPacket;
export type PublishPacket = IPublishPacket;
export type ProtocolVersion = 4 | 5;

// mqtt-packet copies payloads with Buffer#copy, so a payload must be an instance of the
// Buffer class it was built with (Node's on Node, tools/shims/buffer.ts in firmware bundles). Take that
// class from its own output instead of naming a host global in firmware code.
type PacketBytes = Uint8Array & { constructor: unknown; write(text: string, offset: number): number };
const PacketBuffer = generate({ cmd: 'pingreq' }).constructor as unknown as {
  from(data: ArrayBufferLike, offset: number, length: number): PacketBytes;
  allocUnsafe(size: number): PacketBytes;
};

/** A payload mqtt-packet can write, sharing memory with `bytes`. */
export function payload(bytes: Uint8Array): never {
  return PacketBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never;
}

/**
 * Where mqtt-packet's writeToStream writes one packet. It writes the fixed header byte, then the
 * remaining length, then the rest: once the length is known the packet goes straight into one
 * buffer of its size. (generate() keeps the pieces and copies them together at the end:
 * a fifth more work for an event PUBLISH in XS, bench/mqtt-cost.ts.)
 */
class PacketSink {
  bytes: PacketBytes | undefined;
  at = 0;
  private readonly head: number[] = [];

  write(chunk: Uint8Array | string): boolean {
    const out = this.bytes;
    if (out === undefined) return this.start(chunk);
    if (typeof chunk === 'string') {
      this.at += out.write(chunk, this.at);
    } else {
      out.set(chunk, this.at);
      this.at += chunk.length;
    }
    return true;
  }

  /** The header byte and the remaining length (a variable byte integer), in one piece or several. */
  private start(chunk: Uint8Array | string): boolean {
    if (typeof chunk === 'string') throw new Error('mqtt-packet wrote text before the fixed header');
    const head = this.head;
    for (let i = 0; i < chunk.length; i++) {
      if (this.bytes) return this.write(chunk.subarray(i));
      head.push(chunk[i]);
      if (head.length >= 2 && (chunk[i] & 0x80) === 0) {
        let remaining = 0;
        for (let k = head.length - 1; k >= 1; k--) remaining = remaining * 128 + (head[k] & 0x7f);
        this.bytes = PacketBuffer.allocUnsafe(head.length + remaining);
        this.bytes.set(head);
        this.at = head.length;
      } else if (head.length > 5) {
        throw new Error('mqtt-packet wrote a fixed header longer than 5 bytes');
      }
    }
    return true;
  }

  /** writeToStream's way to refuse a packet: thrown, as generate() throws it. */
  destroy(error?: Error): void {
    if (error) throw error;
  }
}

/** The bytes of one packet. Throws on a packet mqtt-packet refuses. */
export function encodePacket(packet: Packet, version: ProtocolVersion): Uint8Array {
  const sink = new PacketSink();
  writeToStream(packet, sink as never, { protocolVersion: version });
  const out = sink.bytes;
  if (!out || sink.at !== out.length) {
    throw new Error(`mqtt-packet wrote ${sink.at} bytes of a ${packet.cmd} packet whose header says ${out?.length ?? 'nothing'}`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface PacketReader {
  /** Feeds bytes; complete packets go to onPacket, a malformed stream to onError. */
  push(bytes: Uint8Array): void;
}

export function packetReader(
  version: ProtocolVersion,
  onPacket: (packet: Packet) => void,
  onError: (error: Error) => void,
): PacketReader {
  const parser = mqttParser({ protocolVersion: version });
  let failed = false;
  parser.on('packet', (p: Packet) => { if (!failed) onPacket(p); });
  parser.on('error', (e: Error) => {
    if (failed) return;
    failed = true; // after one error the stream is out of step: nothing more is trusted
    onError(e);
  });
  return {
    push(bytes) {
      if (failed) return;
      try {
        parser.parse(payload(bytes));
      } catch (e) {
        if (!failed) { failed = true; onError(e as Error); }
      }
    },
  };
}
