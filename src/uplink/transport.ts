// The byte-stream seam for MQTT: Node net/tls, ECMA-419 TCP/TLS on the ESP32, memory in tests.

export interface TransportEvents {
  onConnect(): void;
  onData(bytes: Uint8Array): void;
  /** The link is gone (closed by either side or failed); `reason` is for the log. */
  onClose(reason: string): void;
}

export interface Transport {
  /** Bytes written in order; false when the link is not open. */
  write(bytes: Uint8Array): boolean;
  close(): void;
}

export interface TransportTarget {
  host: string;
  port: number;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string };
}

/** Opens one connection; the host's implementation calls back through `events`. */
export type Connect = (target: TransportTarget, events: TransportEvents) => Transport;
