// The event log: a non-volatile ring of at least `capacity` events, hash-chained.
//
// Flash wear: events go to `segments` append-only files (`log.0` … `log.N-1`), each holding
// up to ⌈capacity / (segments − 1)⌉ events. When the newest is full, the oldest segment is
// removed whole and its slot starts the next one, so at least `capacity` events are always
// kept and no file is ever rewritten for an event. Each segment opens with a header record
// naming its number and the hash of the event before its first one, which keeps the chain
// verifiable after the oldest segments are gone.
//
// Chain: hash_i = SHA-256(hash_{i−1} ‖ seq_i ‖ flags_i ‖ event bytes_i), cut to 16 bytes, stored in
// the record. Recovery reads the stored hashes (no hashing at boot); `verifyChain` recomputes
// them all. An unkeyed chain shows alterations to anyone holding a later hash (the head).
import { sha256 } from '../hash';
import type { Storage } from './storage';
import { MAX_EVENT_BYTES, concat, encodeRecord, getSeq, getU32, putSeq, putU32, readRecords, scanRecords, type StoredRecord } from './record';

export const HASH_BYTES = 16;
const SEGMENT_HEADER = 0x01;
const EVENT = 0x02;
const EXPORT_HEADER = 0x03;
const FORMAT = 1;
const ALARM_FLAG = 0x01;

export interface EventLogOptions {
  /** Events always kept, at least (default 1000). */
  capacity?: number;
  /** Segment files (default 4, at least 2). */
  segments?: number;
  /** File name prefix (default `log`): files are `log.0` … */
  prefix?: string;
}

export interface LogEntry {
  seq: number;
  /** The event as the caller gave it (CBOR). */
  bytes: Uint8Array;
  /** Whether the caller marked it as an alarm (the outbox never drops those). */
  alarm: boolean;
  /** This entry's link in the chain. */
  hash: Uint8Array;
}

export interface LogRecovery {
  /** Segment files found with a valid header. */
  segments: number;
  /** Events kept. */
  records: number;
  /** Bytes discarded: torn tails, damaged stretches and unreadable segments. */
  bytesCut: number;
  firstSeq: number;
  lastSeq: number;
  /** What was wrong, one line per file, for the panel's diagnostics. */
  problems: string[];
}

interface SegmentFile {
  data: Uint8Array;
  header: { no: number; prevHash: Uint8Array } | undefined;
  events: StoredRecord[];
  /** Where the last valid record ends. */
  end: number;
  /** Bytes of damaged stretches between valid records. */
  damaged: number;
}

interface Segment {
  slot: number;
  no: number;
  prevHash: Uint8Array;
  count: number;
  firstSeq: number;
  lastSeq: number;
}

function chainHash(prev: Uint8Array, seq: number, flags: number, bytes: Uint8Array): Uint8Array {
  const head = new Uint8Array(HASH_BYTES + 9);
  head.set(prev, 0);
  putSeq(head, HASH_BYTES, seq);
  head[HASH_BYTES + 8] = flags;
  return sha256(concat([head, bytes])).subarray(0, HASH_BYTES);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Event record payload: seq (8) | flags (1) | hash (16) | event bytes.
const EVENT_FIXED = 8 + 1 + HASH_BYTES;

function parseEvent(payload: Uint8Array): LogEntry | undefined {
  if (payload.length < EVENT_FIXED) return undefined;
  return {
    seq: getSeq(payload, 0),
    alarm: (payload[8] & ALARM_FLAG) !== 0,
    hash: payload.slice(9, EVENT_FIXED),
    bytes: payload.slice(EVENT_FIXED),
  };
}

/** The hash a stored entry should carry, given the previous one. */
function expectedHash(prev: Uint8Array, payload: Uint8Array): Uint8Array {
  return chainHash(prev, getSeq(payload, 0), payload[8], payload.subarray(EVENT_FIXED));
}

// Segment header payload: format (1) | segment number (4) | previous hash (16).
function parseSegmentHeader(r: StoredRecord | undefined): { no: number; prevHash: Uint8Array } | undefined {
  if (!r || r.type !== SEGMENT_HEADER || r.payload.length !== 5 + HASH_BYTES || r.payload[0] !== FORMAT) return undefined;
  return { no: getU32(r.payload, 1), prevHash: r.payload.slice(5) };
}

export class EventLog {
  readonly capacity: number;
  readonly perSegment: number;
  private readonly slots: number;
  private readonly prefix: string;
  /** Kept segments, oldest first. */
  private segs: Segment[] = [];
  private last = 0;
  private lastHash: Uint8Array = new Uint8Array(HASH_BYTES);
  /** An append failed part-way: the newest file may end in a torn record, cut it before appending. */
  private dirty = false;

  private constructor(private readonly storage: Storage, options: EventLogOptions) {
    this.capacity = options.capacity ?? 1000;
    this.slots = options.segments ?? 4;
    this.prefix = options.prefix ?? 'log';
    if (!(this.capacity >= 1) || !(this.slots >= 2)) throw new RangeError('event log: capacity ≥ 1 and segments ≥ 2');
    this.perSegment = Math.ceil(this.capacity / (this.slots - 1));
  }

  /** Opens the log, rebuilding it from its segment files and cutting torn tails. */
  static open(storage: Storage, options: EventLogOptions = {}): { log: EventLog; report: LogRecovery } {
    const log = new EventLog(storage, options);
    return { log, report: log.recover() };
  }

  private file(slot: number): string {
    return `${this.prefix}.${slot}`;
  }

  /** A segment file as stored: its header, its event records, and how much of it is unreadable. */
  private readSegment(slot: number): SegmentFile {
    const data = this.storage.read(this.file(slot));
    const { records, end, skipped } = scanRecords(data, EVENT_FIXED + MAX_EVENT_BYTES);
    const header = records[0]?.start === 0 ? parseSegmentHeader(records[0]) : undefined;
    const events = records.filter((r) => r.type === EVENT && r.payload.length >= EVENT_FIXED);
    let damaged = 0;
    for (const k of skipped) damaged += k.end - k.start;
    return { data, header, events, end, damaged };
  }

  private recover(): LogRecovery {
    const problems: string[] = [];
    let bytesCut = 0;
    const found: Array<{ seg: Segment; lastHash: Uint8Array; file: SegmentFile }> = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const name = this.file(slot);
      const file = this.readSegment(slot);
      if (file.data.length === 0) continue;
      if (!file.header) {
        // A power cut while the segment was being started, or a foreign file: nothing in it is ours.
        this.storage.remove(name);
        bytesCut += file.data.length;
        problems.push(`${name}: no valid segment header, ${file.data.length} bytes removed`);
        continue;
      }
      const seg: Segment = { slot, no: file.header.no, prevHash: file.header.prevHash, count: 0, firstSeq: 0, lastSeq: 0 };
      let lastHash = file.header.prevHash;
      for (const r of file.events) {
        const seq = getSeq(r.payload, 0);
        if (seg.count++ === 0) seg.firstSeq = seq;
        seg.lastSeq = seq;
        lastHash = r.payload.slice(9, EVENT_FIXED);
      }
      if (file.damaged > 0) {
        bytesCut += file.damaged;
        problems.push(`${name}: ${file.damaged} damaged bytes between valid records skipped (the chain shows the gap)`);
      }
      found.push({ seg, lastHash, file });
    }
    found.sort((a, b) => a.seg.no - b.seg.no);
    for (let i = 0; i < found.length; i++) {
      const { seg, file } = found[i];
      const name = this.file(seg.slot);
      const torn = file.data.length - file.end;
      if (torn > 0) {
        bytesCut += torn;
        problems.push(`${name}: ${torn} bytes after the last valid record cut`);
        // Only the newest is appended to; an older one keeps its tail (nothing reads past `end`).
        if (i === found.length - 1) this.storage.replace(name, file.data.subarray(0, file.end));
      }
      if (i > 0 && seg.no !== found[i - 1].seg.no + 1) problems.push(`${name}: segments ${found[i - 1].seg.no + 1}…${seg.no - 1} are missing`);
    }
    this.segs = found.map((f) => f.seg);
    for (const { seg, lastHash } of found) {
      if (seg.count > 0) this.last = seg.lastSeq;
      this.lastHash = lastHash;
    }
    return { segments: found.length, records: this.size(), bytesCut, firstSeq: this.firstSeq(), lastSeq: this.last, problems };
  }

  /** Seq of the newest event, 0 when the log is empty. */
  lastSeq(): number {
    return this.last;
  }

  /** Seq of the oldest event kept, 0 when the log is empty. */
  firstSeq(): number {
    for (const s of this.segs) if (s.count > 0) return s.firstSeq;
    return 0;
  }

  /** Events kept. */
  size(): number {
    let n = 0;
    for (const s of this.segs) n += s.count;
    return n;
  }

  /** The chain's head: the newest event's hash (16 zero bytes when nothing was ever logged). */
  head(): Uint8Array {
    return this.lastHash.slice();
  }

  /**
   * Appends one event. `seq` must be after `lastSeq()`. Returns once the record is in storage;
   * a throw (storage fault, power cut) leaves the log as it was before the call.
   */
  append(seq: number, bytes: Uint8Array, alarm = false): void {
    if (this.dirty) this.repair();
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`event log: seq ${seq} is not a positive integer`);
    if (seq <= this.last) throw new RangeError(`event log: seq ${seq} is not after ${this.last}`);
    if (bytes.length > MAX_EVENT_BYTES) throw new RangeError(`event log: event of ${bytes.length} bytes, at most ${MAX_EVENT_BYTES}`);
    let newest = this.segs[this.segs.length - 1];
    if (!newest || newest.count >= this.perSegment) newest = this.rotate();
    const flags = alarm ? ALARM_FLAG : 0;
    const hash = chainHash(this.lastHash, seq, flags, bytes);
    const payload = new Uint8Array(EVENT_FIXED + bytes.length);
    putSeq(payload, 0, seq);
    payload[8] = flags;
    payload.set(hash, 9);
    payload.set(bytes, EVENT_FIXED);
    this.write(newest.slot, encodeRecord(EVENT, payload));
    if (newest.count === 0) newest.firstSeq = seq;
    newest.count++;
    newest.lastSeq = seq;
    this.last = seq;
    this.lastHash = hash;
  }

  /** Starts the next segment in the slot of the oldest one, which is dropped whole. */
  private rotate(): Segment {
    const newest = this.segs[this.segs.length - 1];
    const no = newest ? newest.no + 1 : 0;
    const slot = no % this.slots;
    // Whatever holds that slot is older than every other segment: it goes first, whole.
    this.storage.remove(this.file(slot));
    this.segs = this.segs.filter((s) => s.slot !== slot);
    const header = new Uint8Array(5 + HASH_BYTES);
    header[0] = FORMAT;
    putU32(header, 1, no);
    header.set(this.lastHash, 5);
    this.write(slot, encodeRecord(SEGMENT_HEADER, header));
    const seg: Segment = { slot, no, prevHash: this.lastHash.slice(), count: 0, firstSeq: 0, lastSeq: 0 };
    this.segs.push(seg);
    return seg;
  }

  private write(slot: number, record: Uint8Array): void {
    try {
      this.storage.append(this.file(slot), record);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /**
   * After a failed write in this session (a storage error the device survived): the newest file
   * may end in a torn record, or hold a complete one the caller never heard back about. Cut the
   * tail and take the newest segment's state from what the file really holds.
   */
  private repair(): void {
    this.dirty = false;
    const newest = this.segs[this.segs.length - 1];
    if (!newest) return;
    const name = this.file(newest.slot);
    const file = this.readSegment(newest.slot);
    if (file.end < file.data.length) this.storage.replace(name, file.data.subarray(0, file.end));
    newest.count = 0;
    this.lastHash = newest.prevHash;
    const before = this.segs[this.segs.length - 2];
    this.last = before ? before.lastSeq : 0;
    for (const r of file.events) {
      const seq = getSeq(r.payload, 0);
      if (newest.count++ === 0) newest.firstSeq = seq;
      newest.lastSeq = this.last = seq;
      this.lastHash = r.payload.slice(9, EVENT_FIXED);
    }
  }

  /** Events with seq ≥ `fromSeq`, oldest first, at most `max` (read from storage; nothing is cached). */
  entries(fromSeq = 0, max = Infinity): LogEntry[] {
    const out: LogEntry[] = [];
    for (const seg of this.segs) {
      if (seg.count === 0 || seg.lastSeq < fromSeq) continue;
      for (const r of this.readSegment(seg.slot).events) {
        if (out.length >= max) return out;
        const e = parseEvent(r.payload);
        if (e && e.seq >= fromSeq) out.push(e);
      }
    }
    return out;
  }

  /**
   * The whole log as bytes, one part at a time so a portal can stream it without holding it
   * all: an export header (anchor hash, entry count, head hash), then each segment's event
   * records as stored. The export is of the log as it was when iteration began; if the oldest
   * segment is dropped before the iteration reaches it, the iteration throws (export again).
   */
  *exportParts(): Generator<Uint8Array, void, undefined> {
    const snapshot = this.segs.filter((s) => s.count > 0).map((s) => ({ slot: s.slot, no: s.no, count: s.count }));
    const oldest = this.segs.find((s) => s.count > 0);
    const header = new Uint8Array(1 + HASH_BYTES + 4 + HASH_BYTES);
    header[0] = FORMAT;
    header.set(oldest ? oldest.prevHash : this.lastHash, 1);
    putU32(header, 1 + HASH_BYTES, this.size());
    header.set(this.lastHash, 5 + HASH_BYTES);
    yield encodeRecord(EXPORT_HEADER, header);
    for (const { slot, no, count } of snapshot) {
      const file = this.readSegment(slot);
      if (file.header?.no !== no) throw new Error('event log: a segment was dropped during the export; export again');
      yield concat(file.events.slice(0, count).map((r) => file.data.subarray(r.start, r.end)));
    }
  }

  /** The whole log with its chain, as one byte string (see `verifyChain`). */
  export(): Uint8Array {
    return concat([...this.exportParts()]);
  }
}
// The prototype of the generators exportParts makes: frozen, as Moddable's preload would
// otherwise keep a RAM pointer for it.
Object.freeze(EventLog.prototype.exportParts.prototype);

export interface ParsedExport {
  /** The hash the first entry links to. */
  anchor: Uint8Array;
  /** The newest entry's hash, as the panel stated it. */
  head: Uint8Array;
  /** Entries the panel said it exported. */
  count: number;
  /** Entries found, oldest first. */
  entries: LogEntry[];
}

export type ChainCheck =
  | { ok: true; count: number; firstSeq: number; lastSeq: number; head: Uint8Array }
  /** `index`: the first entry (0-based) that is missing, unreadable or does not follow the chain. */
  | { ok: false; index: number; reason: string };

/** Reads an export without judging it (see `verifyChain` for that); undefined if no header. */
export function parseExport(exported: Uint8Array): ParsedExport | undefined {
  const { records } = readRecords(exported);
  const h = records[0];
  if (!h || h.type !== EXPORT_HEADER || h.payload.length !== 5 + 2 * HASH_BYTES || h.payload[0] !== FORMAT) return undefined;
  const entries: LogEntry[] = [];
  for (let i = 1; i < records.length; i++) {
    const e = records[i].type === EVENT ? parseEvent(records[i].payload) : undefined;
    if (e) entries.push(e);
  }
  return { anchor: h.payload.slice(1, 1 + HASH_BYTES), count: getU32(h.payload, 1 + HASH_BYTES), head: h.payload.slice(5 + HASH_BYTES), entries };
}

/** Checks an exported log: every record intact, every hash following the one before, nothing missing. */
export function verifyChain(exported: Uint8Array): ChainCheck {
  const { records, end } = readRecords(exported);
  const h = records[0];
  if (!h || h.type !== EXPORT_HEADER || h.payload.length !== 5 + 2 * HASH_BYTES || h.payload[0] !== FORMAT) {
    return { ok: false, index: 0, reason: 'no valid export header' };
  }
  const count = getU32(h.payload, 1 + HASH_BYTES);
  const head = h.payload.slice(5 + HASH_BYTES);
  let prev = h.payload.slice(1, 1 + HASH_BYTES);
  let lastSeq = 0;
  let firstSeq = 0;
  for (let i = 1; i < records.length; i++) {
    const index = i - 1;
    const r = records[i];
    if (r.type !== EVENT || r.payload.length < EVENT_FIXED) return { ok: false, index, reason: `record ${i} is not an event` };
    const seq = getSeq(r.payload, 0);
    if (!sameBytes(expectedHash(prev, r.payload), r.payload.subarray(9, EVENT_FIXED))) {
      return { ok: false, index, reason: `entry ${index} (seq ${seq}) does not follow the chain` };
    }
    if (seq <= lastSeq) return { ok: false, index, reason: `entry ${index}: seq ${seq} is not after ${lastSeq}` };
    if (index === 0) firstSeq = seq;
    lastSeq = seq;
    prev = r.payload.slice(9, EVENT_FIXED);
  }
  const found = records.length - 1;
  if (end < exported.length) return { ok: false, index: found, reason: `entry ${found} is unreadable (bad CRC or cut short) at byte ${end}` };
  if (found !== count) return { ok: false, index: found, reason: `export holds ${found} entries, its header says ${count}` };
  if (!sameBytes(prev, head)) return { ok: false, index: found, reason: 'the last entry is not the head the header names' };
  return { ok: true, count, firstSeq, lastSeq, head };
}
