// An Outbox in memory, for tests and scenarios (XS-safe). The persistent one lives in
// src/store/outbox.ts and keeps the same contract: oldest first, an entry leaves only on ack.
import type { Outbox, OutboxEntry } from '../../src/store/outbox';
import { encodeEvent } from '../../src/uplink/payloads';
import type { PanelEvent } from '../../src/core/events';

export class MemoryOutbox implements Outbox {
  private entries: OutboxEntry[] = [];
  /** Every ack the session gave, in order. */
  readonly acked: number[] = [];
  private seq = 0;

  /** Adds an event with the next seq (boot 1, uptime = seq × 10 ms unless given); returns its seq. */
  addEvent(fields: Partial<PanelEvent> & Pick<PanelEvent, 'code' | 'q'>): number {
    const seq = fields.seq ?? ++this.seq;
    this.seq = Math.max(this.seq, seq);
    const event: PanelEvent = { boot: 1, uptime: seq * 10, ...fields, seq };
    this.entries.push({ seq, payload: encodeEvent(event) });
    return seq;
  }

  add(entry: OutboxEntry): void {
    this.entries.push(entry);
  }

  peek(max: number): OutboxEntry[] {
    return this.entries.slice(0, Math.max(0, max));
  }

  ack(seq: number): void {
    const i = this.entries.findIndex((e) => e.seq === seq);
    if (i >= 0) this.entries.splice(i, 1);
    this.acked.push(seq);
  }

  size(): number {
    return this.entries.length;
  }
}
