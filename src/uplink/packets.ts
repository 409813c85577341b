// MQTT packets: every byte on the wire is generated and parsed by mqtt-packet.
import { generate, parser as mqttParser, writeToStream, type IPublishPacket, type Packet as MqttPacket } from 'mqtt-packet';

// On an ESP32 the default number cache (65,536 pre-built buffers) would exhaust the heap.
writeToStream.cacheNumbers = false;

export type Packet = MqttPacket;
export type PublishPacket = IPublishPacket;
export type ProtocolVersion = 4 | 5;

// mqtt-packet copies payloads with Buffer#copy, so a payload must be an instance of the
// Buffer class it was built with (Node's on Node, the `buffer` package on XS). Take that
// class from its own output instead of naming a host global in firmware code.
type PacketBytes = Uint8Array & { constructor: unknown };
const PacketBuffer = generate({ cmd: 'pingreq' }).constructor as unknown as {
  from(data: ArrayBufferLike, offset: number, length: number): PacketBytes;
};

/** A payload mqtt-packet can write, sharing memory with `bytes`. */
export function payload(bytes: Uint8Array): never {
  return PacketBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never;
}

/** The bytes of one packet. Throws on a packet mqtt-packet refuses. */
export function encodePacket(packet: Packet, version: ProtocolVersion): Uint8Array {
  const out = generate(packet, { protocolVersion: version });
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
