// The outbox as it was before issue 13 (commit 93e7c21): one file, every payload in RAM. Kept only so
// that bench/outbox.ts measures the new one beside it, in the same harness. Not part of the firmware.
// The persistent outbox: events waiting for the broker's PUBACK, oldest first.
//
// One append-only file: a PUSH record per event, an ACK or DROP record when it leaves.
// Replaying the file rebuilds the waiting entries in order. When the file has grown past
// `compactAt` bytes and is more than twice what is still waiting, it is replaced (atomically)
// by the waiting entries alone, so flash sees a rewrite only after at least as many bytes of
// appends, never one per event.
//
// Full: the oldest low-priority entry is dropped first; an alarm entry never is. If every
// waiting entry is an alarm, a low-priority newcomer is the one dropped, and alarms grow the
// outbox up to `hardCap`, beyond which push refuses with an OutboxFull error.
import type { Storage } from '../../src/store/storage';
import type { Outbox, OutboxEntry } from '../../src/store/outbox';
import { MAX_EVENT_BYTES, concat, encodeRecord, getSeq, putSeq, scanRecords } from '../../src/store/record';

const PUSH = 0x10;
const ACK = 0x11;
const DROP = 0x12;
/** Written first by compaction: the highest seq ever pushed, so it survives an empty outbox. */
const MARK = 0x13;
const ALARM_FLAG = 0x01;

export interface OutboxOptions {
  /** Entries held before dropping low-priority ones (default 256). */
  capacity?: number;
  /** Entries held at most when all are alarms (default 2 × capacity). */
  hardCap?: number;
  /** File size in bytes from which compaction is considered (default 16 KiB). */
  compactAt?: number;
  /** File name (default `outbox`). */
  name?: string;
}

export interface OutboxRecovery {
  /** Entries waiting after the replay. */
  entries: number;
  /** Bytes of torn tail discarded. */
  bytesCut: number;
  /** The highest seq the outbox has ever taken (0 if none). */
  highestSeq: number;
  problems: string[];
}

export class OutboxFull extends Error {
  // A field, not `this.name = …`: Error.prototype is frozen under Moddable's preload, and
  // assigning over its `name` throws there (the override mistake); a field defines its own.
  override name = 'OutboxFull';
}

interface Waiting extends OutboxEntry {
  alarm: boolean;
  /** Bytes its PUSH record takes in the file. */
  cost: number;
}

const seqRecord = (type: number, seq: number): Uint8Array => {
  const p = new Uint8Array(8);
  putSeq(p, 0, seq);
  return encodeRecord(type, p);
};

/** Bytes of the MARK record compaction writes first. */
const MARK_BYTES = seqRecord(MARK, 0).length;

function pushRecord(seq: number, payload: Uint8Array, alarm: boolean): Uint8Array {
  const p = new Uint8Array(9 + payload.length);
  putSeq(p, 0, seq);
  p[8] = alarm ? ALARM_FLAG : 0;
  p.set(payload, 9);
  return encodeRecord(PUSH, p);
}

export class PersistentOutbox implements Outbox {
  readonly capacity: number;
  readonly hardCap: number;
  private readonly compactAt: number;
  private readonly name: string;
  private waiting: Waiting[] = [];
  private highest = 0;
  private fileBytes = 0;
  /** A write failed part-way in this session: rewrite the file from memory before the next one. */
  private dirty = false;

  private constructor(private readonly storage: Storage, options: OutboxOptions) {
    this.capacity = options.capacity ?? 256;
    this.hardCap = options.hardCap ?? 2 * this.capacity;
    this.compactAt = options.compactAt ?? 16 * 1024;
    this.name = options.name ?? 'outbox';
    if (!(this.capacity >= 1) || !(this.hardCap >= this.capacity)) throw new RangeError('outbox: capacity ≥ 1 and hardCap ≥ capacity');
  }

  /** Opens the outbox, replaying its file; a torn tail is cut by compacting. */
  static open(storage: Storage, options: OutboxOptions = {}): { outbox: PersistentOutbox; report: OutboxRecovery } {
    const outbox = new PersistentOutbox(storage, options);
    return { outbox, report: outbox.recover() };
  }

  private recover(): OutboxRecovery {
    const data = this.storage.read(this.name);
    // Damage between valid records is stepped over (its entries are lost, later ones kept).
    const { records, end, skipped } = scanRecords(data, 9 + MAX_EVENT_BYTES);
    const problems: string[] = [];
    let damaged = 0;
    for (const k of skipped) damaged += k.end - k.start;
    if (damaged > 0) problems.push(`${this.name}: ${damaged} damaged bytes between valid records skipped`);
    for (const r of records) {
      if (r.payload.length < 8) continue;
      const seq = getSeq(r.payload, 0);
      if (r.type === PUSH && r.payload.length >= 9) {
        if (this.waiting.some((w) => w.seq === seq)) continue;
        this.waiting.push({ seq, payload: r.payload.slice(9), alarm: (r.payload[8] & ALARM_FLAG) !== 0, cost: r.end - r.start });
      } else if (r.type === ACK || r.type === DROP) {
        this.remove(seq);
      } else if (r.type !== MARK) {
        continue;
      }
      if (seq > this.highest) this.highest = seq;
    }
    this.fileBytes = end;
    const torn = data.length - end;
    if (torn > 0) problems.push(`${this.name}: ${torn} bytes after the last valid record cut`);
    const bytesCut = torn + damaged;
    if (bytesCut > 0) this.compact();
    return { entries: this.waiting.length, bytesCut, highestSeq: this.highest, problems };
  }

  /** Oldest waiting entries first, at most `max`. */
  peek(max: number): OutboxEntry[] {
    return this.waiting.slice(0, Math.max(0, max)).map(({ seq, payload }) => ({ seq, payload }));
  }

  size(): number {
    return this.waiting.length;
  }

  /** Waiting entries marked as alarms. */
  alarms(): number {
    let n = 0;
    for (const w of this.waiting) if (w.alarm) n++;
    return n;
  }

  /** The highest seq ever pushed or dropped (0 if none): the next push must be after it. */
  highestSeq(): number {
    return this.highest;
  }

  /**
   * Queues an event. Returns the seqs dropped to make room (oldest low-priority first; the
   * newcomer itself if it is low-priority and everything waiting is an alarm). Throws OutboxFull
   * when `hardCap` alarms are waiting and another alarm comes.
   */
  push(seq: number, payload: Uint8Array, alarm: boolean): { dropped: number[] } {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`outbox: seq ${seq} is not a positive integer`);
    if (seq <= this.highest) throw new RangeError(`outbox: seq ${seq} is not after ${this.highest}`);
    if (payload.length > MAX_EVENT_BYTES) throw new RangeError(`outbox: payload of ${payload.length} bytes, at most ${MAX_EVENT_BYTES}`);
    if (this.waiting.length >= this.capacity) {
      const victim = this.waiting.find((w) => !w.alarm);
      if (victim) {
        this.write(seqRecord(DROP, victim.seq));
        this.remove(victim.seq);
        this.add(seq, payload, alarm);
        return { dropped: [victim.seq] };
      }
      if (!alarm) {
        this.write(seqRecord(DROP, seq));
        this.highest = seq;
        return { dropped: [seq] };
      }
      if (this.waiting.length >= this.hardCap) {
        throw new OutboxFull(`outbox full: ${this.waiting.length} alarm entries wait for the broker and none may be dropped; seq ${seq} refused`);
      }
    }
    this.add(seq, payload, alarm);
    return { dropped: [] };
  }

  /** The broker acknowledged `seq`: it leaves for good. Unknown seqs (a repeated PUBACK) change nothing. */
  ack(seq: number): void {
    if (!this.waiting.some((w) => w.seq === seq)) return;
    this.write(seqRecord(ACK, seq));
    this.remove(seq);
    this.maybeCompact();
  }

  /** Bytes the outbox file holds. */
  fileSize(): number {
    return this.fileBytes;
  }

  private add(seq: number, payload: Uint8Array, alarm: boolean): void {
    const record = pushRecord(seq, payload, alarm);
    this.write(record);
    this.waiting.push({ seq, payload: payload.slice(), alarm, cost: record.length });
    this.highest = seq;
    this.maybeCompact();
  }

  private remove(seq: number): void {
    const i = this.waiting.findIndex((w) => w.seq === seq);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private write(record: Uint8Array): void {
    if (this.dirty) this.compact();
    try {
      this.storage.append(this.name, record);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.fileBytes += record.length;
  }

  private liveBytes(): number {
    let n = MARK_BYTES;
    for (const w of this.waiting) n += w.cost;
    return n;
  }

  /** After a write that reached storage: a failed compaction must not make it look failed. */
  private maybeCompact(): void {
    if (this.fileBytes < this.compactAt || this.fileBytes <= 2 * this.liveBytes()) return;
    try {
      this.compact();
    } catch {
      // The old file stands (replace is atomic); the next write tries again.
    }
  }

  /** Rewrites the file as the waiting entries alone, in one atomic replace. */
  private compact(): void {
    const parts = [seqRecord(MARK, this.highest)];
    for (const w of this.waiting) parts.push(pushRecord(w.seq, w.payload, w.alarm));
    const file = concat(parts);
    this.storage.replace(this.name, file);
    this.fileBytes = file.length;
    this.dirty = false;
  }
}
