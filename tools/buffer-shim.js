// Injected into XS bundles only: the `buffer` package stands in for Node's Buffer,
// which mqtt-packet and bl use internally. Firmware code itself never names Buffer.
export { Buffer } from 'buffer';
