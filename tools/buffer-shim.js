// Injected into XS bundles only: `buffer` (tools/shims/buffer.ts, see tools/build.ts) stands in for Node's Buffer,
// which mqtt-packet and bl use internally. Firmware code itself never names Buffer.
export { Buffer } from 'buffer';
