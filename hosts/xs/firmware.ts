// Entry of the firmware bundle: the host-independent modules the ESP32 runs.
export { encodeCbor, decodeCbor } from '../../src/uplink/cbor';
export { encodePacket, packetReader } from '../../src/uplink/packets';
