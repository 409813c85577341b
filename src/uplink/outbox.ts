// What the MQTT session needs from the persistent outbox (src/store implements it).

export interface OutboxEntry {
  /** The event's sequence number: the outbox's key, and the consumers' de-duplication key. */
  seq: number;
  /** Ready-to-publish CBOR event payload. */
  payload: Uint8Array;
}

export interface Outbox {
  /** Oldest unacknowledged entries first, at most `max`. */
  peek(max: number): OutboxEntry[];
  /** The broker acknowledged `seq` (PUBACK): it leaves the outbox for good. */
  ack(seq: number): void;
  /** Entries waiting, acknowledged ones excluded. */
  size(): number;
}
