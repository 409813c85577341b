// The persistent outbox: events waiting for the broker's PUBACK, oldest first, held on flash
// through long outages (10,000 events and more) with RAM that does not grow with them.
//
// Layout (littlefs gives every file whole 4 KB blocks; appends are cheap, rewrites are not):
// - Segments `outbox.0` … `outbox.123`: append-only files of at most `segmentBytes` (4,096: one
//   block each). A segment opens with a header record (its number, which orders segments, and a
//   base seq) and then holds entries, each framed compactly:
//     u16 LE (payload length << 1 | alarm) | varint (seq − base) | payload | u32 LE CRC-32
//   7 bytes around a payload below 128 seqs from the base, 8 beyond. A segment is never
//   rewritten for an event; it is removed whole once none of its entries waits.
// - The cursor file `outbox.ack`: what has left. An ACK record per PUBACK (or per `ackBatch`), a DROP record when
//   the outbox dropped low-priority entries, and, first after each compaction (a replace once it
//   passes `compactAt`), a STATE record. Together they say: every seq ≤ A has left; every
//   low-priority seq ≤ D has left (drops always take the oldest low-priority entry); and a
//   short list E of seqs above A acknowledged out of order.
//
// RAM holds one small summary per segment (at most `segments`), the cursor (A, D, E with at most
// E_MAX seqs) and the last two segments read; payloads are read back from flash when `peek`
// needs them. A segment's entries are parsed from its file on demand.
//
// Sizes: a real event is 15–27 B of CBOR (bench: payload bytes), 22–35 B as an entry, ~116 to a
// segment; 124 segments (496 KB) hold ~14,000 of them and 10,000 entries of up to 42 B of payload
// on average. With the cursor file (≤ 1 block) and one atomic replace in flight (1 block), the
// outbox stays within 128 blocks = 512 KB of the 1,984 KB littlefs partition.
//
// Full (`capacity` entries, or every segment in use): the oldest low-priority entry is dropped
// first; an alarm entry never is. If every waiting entry is an alarm, a low-priority newcomer is
// the one dropped, and alarms grow the outbox up to `hardCap` (or the flash), beyond which push
// refuses with an OutboxFull error. When the flash is the limit, adjacent segments whose waiting
// entries fit in one are merged (one replace, then a remove), dropping low-priority entries
// oldest first until a merge frees a segment.
//
// Power cuts: every change is one append or one atomic replace; a torn append is cut at the next
// open. A merge cut between its replace and its remove leaves entries twice: the later copies
// (seq not above one already read) are skipped.
import type { Storage } from './storage';
import { MAX_EVENT_BYTES, concat, crc32, encodeRecord, getSeq, getU32, putSeq, putU32, readRecords, scanRecords } from './record';

// What the uplink needs from the outbox (src/uplink takes it by this interface; tests give it a memory one).
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

/** Flash block of littlefs on the ESP32: every file takes whole blocks. */
export const BLOCK_BYTES = 4096;
/** Default segment size: one block. */
export const SEGMENT_BYTES = 4096;
/** Default segment count: 124 blocks of entries, + the cursor file and a replace in flight = 127 of 128 blocks (512 KB). */
export const SEGMENTS = 124;
/** Default capacity in entries (low-priority ones are dropped beyond it). */
export const CAPACITY = 10_000;

const HEADER = 0x14;
const STATE = 0x20;
const ACK = 0x21;
const DROP = 0x22;
const FORMAT = 1;
/** Header record: frame (9) + format (1) + number (4) + base seq (8). */
const HEADER_BYTES = 9 + 13;
/** Out-of-order acks remembered before the segments holding them are rewritten without them. */
const E_MAX = 64;

export interface OutboxOptions {
  /** Entries held before dropping low-priority ones (default 10,000). */
  capacity?: number;
  /** Entries held at most when all are alarms (default 2 × capacity; the flash may stop it first). */
  hardCap?: number;
  /** Segment files at most (default 124). */
  segments?: number;
  /** Bytes a segment file holds at most (default 4,096: one littlefs block). */
  segmentBytes?: number;
  /** Size in bytes from which the cursor file is compacted (default 2 KiB). */
  compactAt?: number;
  /** File name prefix (default `outbox`): segments `outbox.0` …, cursor `outbox.ack`. */
  name?: string;
  /**
   * Acks written together, in one ACK record (default 1: each ack is on flash when `ack`
   * returns). With more, acks wait in RAM: a power cut loses at most that many, and those events
   * are sent again (consumers de-duplicate by seq). On flash every append costs a block program,
   * so one per PUBACK bounds the replay rate by the flash (bench: outbox replay, files); a
   * drained outbox writes its acks at once, and `flush()` writes them on demand.
   */
  ackBatch?: number;
}

export interface OutboxRecovery {
  /** Entries waiting after the replay. */
  entries: number;
  /** Bytes of torn tail or damage discarded. */
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

/** One entry as parsed from a segment file. */
interface Entry {
  seq: number;
  alarm: boolean;
  /** Record start and end in the file; the payload is `[at, at + length)`. */
  start: number;
  end: number;
  at: number;
  length: number;
}

/** What RAM keeps of a segment. */
interface Segment {
  slot: number;
  no: number;
  base: number;
  /** Seqs of its first and last entries (0 when it has none). */
  first: number;
  last: number;
  /** File bytes (its valid records). */
  bytes: number;
  /** Waiting entries, waiting low-priority ones, and the bytes of their records. */
  live: number;
  lows: number;
  liveBytes: number;
}

interface Parsed {
  no: number;
  data: Uint8Array;
  entries: Entry[];
  end: number;
  damaged: number;
}

/** A cached segment's room grows by this much (bytes): RAM past the file's end stays under it. */
const CACHE_STEP = 512;

const varintBytes = (n: number): number => {
  let k = 1;
  for (; n >= 128; n = Math.floor(n / 128)) k++;
  return k;
};

/** One entry record, its seq stored relative to `base`. */
function encodeEntry(base: number, seq: number, payload: Uint8Array, alarm: boolean): Uint8Array {
  let offset = seq - base;
  const v = varintBytes(offset);
  const out = new Uint8Array(2 + v + payload.length + 4);
  const head = (payload.length << 1) | (alarm ? 1 : 0);
  out[0] = head & 0xff;
  out[1] = head >>> 8;
  for (let i = 0; i < v; i++) {
    const low = offset % 128;
    offset = Math.floor(offset / 128);
    out[2 + i] = i < v - 1 ? low | 0x80 : low;
  }
  out.set(payload, 2 + v);
  putU32(out, 2 + v + payload.length, crc32(out.subarray(0, 2 + v + payload.length)));
  return out;
}

/** The entry starting at `start`, if a complete one with a good CRC is there. */
function entryAt(data: Uint8Array, start: number, base: number): Entry | undefined {
  if (data.length - start < 7) return undefined;
  const head = data[start] | (data[start + 1] << 8);
  const length = head >>> 1;
  if (length > MAX_EVENT_BYTES) return undefined;
  let p = start + 2;
  let offset = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (p >= data.length || i >= 8) return undefined;
    const b = data[p++];
    offset += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) break;
  }
  const end = p + length + 4;
  if (end > data.length) return undefined;
  if (crc32(data.subarray(start, p + length)) !== getU32(data, p + length)) return undefined;
  return { seq: base + offset, alarm: (head & 1) === 1, start, end, at: p, length };
}

function headerRecord(no: number, base: number): Uint8Array {
  const p = new Uint8Array(13);
  p[0] = FORMAT;
  putU32(p, 1, no);
  putSeq(p, 5, base);
  return encodeRecord(HEADER, p);
}

const seqRecord = (type: number, seq: number): Uint8Array => {
  const p = new Uint8Array(8);
  putSeq(p, 0, seq);
  return encodeRecord(type, p);
};

/** Reads a segment file: its header, its entries (stepping over damage), where valid data ends. */
function parseSegment(data: Uint8Array): (Parsed & { base: number }) | undefined {
  const h = readRecords(data.subarray(0, HEADER_BYTES)).records[0];
  if (!h || h.type !== HEADER || h.payload.length !== 13 || h.payload[0] !== FORMAT) return undefined;
  const no = getU32(h.payload, 1);
  const base = getSeq(h.payload, 5);
  const entries: Entry[] = [];
  let end = HEADER_BYTES;
  let damaged = 0;
  for (let at = HEADER_BYTES; at < data.length;) {
    const e = entryAt(data, at, base);
    if (e) {
      if (at > end) damaged += at - end;
      entries.push(e);
      at = end = e.end;
    } else {
      at++;
    }
  }
  return { no, base, data, entries, end, damaged };
}

export class PersistentOutbox implements Outbox {
  readonly capacity: number;
  readonly hardCap: number;
  readonly segments: number;
  readonly segmentBytes: number;
  private readonly compactAt: number;
  private readonly ackBatch: number;
  private readonly name: string;
  /** Acks in RAM only, not yet in the cursor file (at most `ackBatch`). */
  private pendingAcks: number[] = [];
  /** Segments in order (by number, hence by seq). */
  private segs: Segment[] = [];
  /** Every seq ≤ acked has left. */
  private acked = 0;
  /** Every low-priority seq ≤ droppedThrough has left. */
  private droppedThrough = 0;
  /** Seqs above `acked` acknowledged out of order, still in a segment file. */
  private early = new Set<number>();
  private highest = 0;
  private count = 0;
  private alarmCount = 0;
  /** The oldest waiting seq (0 when none), and where the search for the next one resumes. */
  private head = 0;
  private cursorBytes = 0;
  /** The last two segments read, newest use last. */
  private cache: Parsed[] = [];
  /** A write failed part-way in this session: rebuild from storage before the next change. */
  private dirty = false;
  /** Drops made but not yet on flash (the DROP record is batched while making room). */
  private pendingDrop = 0;

  private constructor(private readonly storage: Storage, options: OutboxOptions) {
    this.capacity = options.capacity ?? CAPACITY;
    this.hardCap = options.hardCap ?? 2 * this.capacity;
    this.segments = options.segments ?? SEGMENTS;
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.compactAt = options.compactAt ?? 2048;
    this.ackBatch = Math.max(1, options.ackBatch ?? 1);
    this.name = options.name ?? 'outbox';
    if (!(this.capacity >= 1) || !(this.hardCap >= this.capacity)) throw new RangeError('outbox: capacity ≥ 1 and hardCap ≥ capacity');
    if (!(this.segments >= 2) || !(this.segmentBytes >= HEADER_BYTES + 7 + MAX_EVENT_BYTES + 8)) {
      throw new RangeError(`outbox: segments ≥ 2 and segmentBytes ≥ ${HEADER_BYTES + 7 + MAX_EVENT_BYTES + 8}`);
    }
  }

  /** Opens the outbox, replaying its files; torn tails are cut. */
  static open(storage: Storage, options: OutboxOptions = {}): { outbox: PersistentOutbox; report: OutboxRecovery } {
    const outbox = new PersistentOutbox(storage, options);
    return { outbox, report: outbox.recover() };
  }

  private slotName(slot: number): string {
    return `${this.name}.${slot}`;
  }

  private get cursorName(): string {
    return `${this.name}.ack`;
  }

  // ---- recovery ---------------------------------------------------------------------------

  private recover(): OutboxRecovery {
    this.segs = [];
    this.cache = [];
    this.early = new Set();
    this.pendingAcks = [];
    this.acked = this.droppedThrough = this.highest = this.count = this.alarmCount = this.head = 0;
    this.dirty = false;
    const problems: string[] = [];
    let bytesCut = 0;

    const cursor = this.storage.read(this.cursorName);
    const { records, end: cursorEnd, skipped } = scanRecords(cursor, 8 * (E_MAX + 3));
    let cursorDamage = cursor.length - cursorEnd;
    for (const k of skipped) cursorDamage += k.end - k.start;
    for (const r of records) {
      if (r.payload.length < 8 || r.payload.length % 8 !== 0) continue;
      const seq = getSeq(r.payload, 0);
      if (r.type === STATE && r.payload.length >= 24) {
        this.acked = Math.max(this.acked, seq);
        this.droppedThrough = Math.max(this.droppedThrough, getSeq(r.payload, 8));
        this.highest = Math.max(this.highest, getSeq(r.payload, 16));
        for (let at = 24; at < r.payload.length; at += 8) this.early.add(getSeq(r.payload, at));
      } else if (r.type === ACK) {
        for (let at = 0; at < r.payload.length; at += 8) this.early.add(getSeq(r.payload, at));
        this.highest = Math.max(this.highest, getSeq(r.payload, r.payload.length - 8));
      } else if (r.type === DROP) {
        this.droppedThrough = Math.max(this.droppedThrough, seq);
        this.highest = Math.max(this.highest, seq);
      }
    }
    this.cursorBytes = cursorEnd;
    if (cursorDamage > 0) {
      bytesCut += cursorDamage;
      problems.push(`${this.cursorName}: ${cursorDamage} bytes after the last valid record or damaged cut`);
    }

    const found: Array<Parsed & { slot: number; base: number }> = [];
    for (let slot = 0; slot < this.segments; slot++) {
      const data = this.storage.read(this.slotName(slot));
      if (data.length === 0) continue;
      const parsed = parseSegment(data);
      if (!parsed) {
        // A power cut while the segment was being started, or a foreign file: nothing in it is ours.
        this.storage.remove(this.slotName(slot));
        bytesCut += data.length;
        problems.push(`${this.slotName(slot)}: no valid segment header, ${data.length} bytes removed`);
        continue;
      }
      found.push({ ...parsed, slot });
    }
    found.sort((a, b) => a.no - b.no);
    const seen = new Set<number>();
    let maxSeen = 0;
    for (let i = 0; i < found.length; i++) {
      const f = found[i];
      const name = this.slotName(f.slot);
      const torn = f.data.length - f.end;
      if (torn > 0) {
        bytesCut += torn;
        problems.push(`${name}: ${torn} bytes after the last valid record cut`);
        // Only the newest is appended to; an older one keeps its tail (nothing reads past `end`).
        if (i === found.length - 1) this.storage.replace(name, f.data.subarray(0, f.end));
      }
      if (f.damaged > 0) {
        bytesCut += f.damaged;
        problems.push(`${name}: ${f.damaged} damaged bytes between valid records skipped`);
      }
      const seg: Segment = { slot: f.slot, no: f.no, base: f.base, first: 0, last: 0, bytes: f.end, live: 0, lows: 0, liveBytes: 0 };
      for (const e of f.entries) {
        if (e.seq <= maxSeen) continue; // a second copy, left by a merge cut short
        maxSeen = e.seq;
        if (seg.first === 0) seg.first = e.seq;
        seg.last = e.seq;
        if (this.early.has(e.seq)) seen.add(e.seq);
        if (this.waits(e)) this.count1(seg, e, 1);
      }
      if (seg.last > this.highest) this.highest = seg.last;
      this.segs.push(seg);
    }
    // Only acks of entries still on flash need remembering.
    for (const s of this.early) if (!seen.has(s)) this.early.delete(s);
    this.advance();
    for (const seg of [...this.segs]) if (seg.live === 0) this.removeSegment(seg);
    if (cursorDamage > 0 || this.cursorBytes >= this.compactAt) this.compactCursor();
    this.cache = [];
    this.migrate(problems);
    return { entries: this.count, bytesCut, highestSeq: this.highest, problems };
  }

  /**
   * The single-file outbox of earlier versions (`outbox`: PUSH, ACK, DROP and MARK records):
   * what still waits there is pushed here, its highest seq kept, then the file removed. A cut
   * part-way leaves the file, and the next open skips what was already moved.
   */
  private migrate(problems: string[]): void {
    const old = this.storage.read(this.name);
    if (old.length === 0) return;
    const waiting: Array<{ seq: number; alarm: boolean; payload: Uint8Array }> = [];
    let highest = 0;
    for (const r of scanRecords(old, 9 + MAX_EVENT_BYTES).records) {
      if (r.payload.length < 8 || r.type < 0x10 || r.type > 0x13) continue;
      const seq = getSeq(r.payload, 0);
      if (r.type === 0x10 && r.payload.length >= 9) {
        if (!waiting.some((w) => w.seq === seq)) waiting.push({ seq, alarm: (r.payload[8] & 1) !== 0, payload: r.payload.subarray(9) });
      } else if (r.type === 0x11 || r.type === 0x12) {
        const i = waiting.findIndex((w) => w.seq === seq);
        if (i >= 0) waiting.splice(i, 1);
      }
      highest = Math.max(highest, seq);
    }
    let moved = 0;
    for (const w of waiting) {
      if (w.seq <= this.highest) continue;
      this.push(w.seq, w.payload, w.alarm);
      moved++;
    }
    if (highest > this.highest) {
      this.highest = highest;
      if (this.head === 0) this.acked = highest;
    }
    this.compactCursor(); // the highest seq on flash before the old file goes
    this.storage.remove(this.name);
    problems.push(`${this.name}: the single-file outbox of an earlier version moved to segments (${moved} waiting)`);
  }

  // ---- reading ----------------------------------------------------------------------------

  private waits(e: Entry): boolean {
    return e.seq > this.acked && (e.alarm || e.seq > this.droppedThrough) && !this.early.has(e.seq);
  }

  private count1(seg: Segment, e: Entry, sign: 1 | -1): void {
    seg.live += sign;
    seg.liveBytes += sign * (e.end - e.start);
    this.count += sign;
    if (e.alarm) this.alarmCount += sign;
    else seg.lows += sign;
  }

  /** A segment's file, parsed (from the cache when it was read lately). */
  private parsed(seg: Segment): Parsed {
    const i = this.cache.findIndex((p) => p.no === seg.no);
    if (i >= 0) {
      const hit = this.cache[i];
      if (i !== this.cache.length - 1) this.cache.push(...this.cache.splice(i, 1));
      return hit;
    }
    const p = parseSegment(this.storage.read(this.slotName(seg.slot)));
    const parsed: Parsed = p && p.no === seg.no ? p : { no: seg.no, data: new Uint8Array(0), entries: [], end: 0, damaged: 0 };
    this.cache.push(parsed);
    if (this.cache.length > 2) this.cache.shift();
    return parsed;
  }

  private forget(seg: Segment): void {
    this.cache = this.cache.filter((p) => p.no !== seg.no);
  }

  /** The segment whose seq range holds `seq`. */
  private segmentOf(seq: number): Segment | undefined {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segs[mid];
      if (s.last < seq) lo = mid + 1;
      else if (s.first > seq) hi = mid - 1;
      else return s;
    }
    return undefined;
  }

  private entryOf(seg: Segment, seq: number): Entry | undefined {
    const entries = this.parsed(seg).entries;
    let lo = 0;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].seq < seq) lo = mid + 1;
      else if (entries[mid].seq > seq) hi = mid - 1;
      else return entries[mid];
    }
    return undefined;
  }

  /** Moves `acked` up to just before the oldest waiting entry, and `head` onto it. */
  private advance(): void {
    for (const seg of this.segs) {
      if (seg.live === 0 || seg.last <= this.acked) continue;
      for (const e of this.parsed(seg).entries) {
        if (e.seq > this.acked && this.waits(e)) {
          this.acked = e.seq - 1;
          this.head = e.seq;
          for (const s of this.early) if (s <= this.acked) this.early.delete(s);
          return;
        }
      }
    }
    this.acked = this.highest;
    this.head = 0;
    this.early.clear();
  }

  /**
   * The cached segments let go of their acknowledged entries (nothing looks at a seq at or
   * below `acked` again): RAM then holds what waits, not every entry the newest segment has seen.
   */
  private pruneCache(): void {
    for (const p of this.cache) {
      let n = 0;
      while (n < p.entries.length && p.entries[n].seq <= this.acked) n++;
      if (n > 0) p.entries.splice(0, n);
    }
  }

  /** Oldest waiting entries first, at most `max`; payloads read back from flash. */
  peek(max: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const seg of this.segs) {
      if (out.length >= max) break;
      if (seg.live === 0) continue;
      if (seg.last <= this.acked) continue;
      const { data, entries } = this.parsed(seg);
      // A segment's entries are in seq order: what is acknowledged is skipped by halving, not
      // looked at one by one on every peek (the uplink peeks on every round).
      let lo = 0;
      for (let hi = entries.length; lo < hi;) {
        const mid = (lo + hi) >>> 1;
        if (entries[mid].seq <= this.acked) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < entries.length && out.length < max; i++) {
        const e = entries[i];
        if (this.waits(e)) out.push({ seq: e.seq, payload: data.slice(e.at, e.at + e.length) });
      }
    }
    return out;
  }

  size(): number {
    return this.count;
  }

  /** Waiting entries marked as alarms. */
  alarms(): number {
    return this.alarmCount;
  }

  /** The highest seq ever pushed or dropped (0 if none): the next push must be after it. */
  highestSeq(): number {
    return this.highest;
  }

  /** Names of the outbox's files that exist now. */
  files(): string[] {
    const names = this.segs.map((s) => this.slotName(s.slot));
    if (this.cursorBytes > 0) names.push(this.cursorName);
    return names;
  }

  /** Flash the outbox takes: its files, each rounded up to whole blocks of `block` bytes. */
  flashBytes(block = BLOCK_BYTES): number {
    let n = 0;
    for (const name of this.files()) n += Math.ceil(this.storage.size(name) / block) * block;
    return n;
  }

  // ---- changes ----------------------------------------------------------------------------

  /**
   * Queues an event. Returns the seqs dropped to make room (oldest low-priority first; the
   * newcomer itself if it is low-priority and everything waiting is an alarm). Throws OutboxFull
   * when `hardCap` alarms (or a full flash of them) are waiting and another alarm comes.
   */
  push(seq: number, payload: Uint8Array, alarm: boolean): { dropped: number[] } {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`outbox: seq ${seq} is not a positive integer`);
    if (seq <= this.highest) throw new RangeError(`outbox: seq ${seq} is not after ${this.highest}`);
    if (payload.length > MAX_EVENT_BYTES) throw new RangeError(`outbox: payload of ${payload.length} bytes, at most ${MAX_EVENT_BYTES}`);
    if (this.dirty) this.recover();
    const dropped: number[] = [];
    if (this.count >= this.capacity) {
      const victim = this.oldestLow();
      if (victim) {
        this.drop([victim], dropped);
      } else if (!alarm) {
        return this.dropNewcomer(seq);
      } else if (this.count >= this.hardCap) {
        throw this.full(seq);
      }
    }
    // Into the newest segment, or a new one; when every segment is in use, make room.
    let target = this.segs[this.segs.length - 1];
    let record = target ? encodeEntry(target.base, seq, payload, alarm) : undefined;
    if (!target || !record || target.bytes + record.length > this.segmentBytes) {
      while (this.segs.length >= this.segments) {
        if (this.mergeOne()) continue;
        const victim = this.oldestLow();
        if (victim) {
          this.drop([victim], dropped, false);
          continue;
        }
        this.flushDrops();
        if (!alarm) return { dropped: [...dropped, ...this.dropNewcomer(seq).dropped] };
        throw this.full(seq);
      }
      this.flushDrops();
      // A merge may have left room in the newest segment.
      target = this.segs[this.segs.length - 1];
      record = target ? encodeEntry(target.base, seq, payload, alarm) : undefined;
      if (!target || !record || target.bytes + record.length > this.segmentBytes) {
        target = this.startSegment(seq);
        record = encodeEntry(seq, seq, payload, alarm);
      }
    }
    this.flushDrops();
    const fresh = target.bytes === 0;
    const bytes = fresh ? concat([headerRecord(target.no, target.base), record]) : record;
    this.write(this.slotName(target.slot), bytes);
    const start = fresh ? HEADER_BYTES : target.bytes;
    const entry: Entry = { seq, alarm, start, end: start + record.length, at: start + record.length - 4 - payload.length, length: payload.length };
    target.bytes = entry.end;
    if (target.first === 0) target.first = seq;
    target.last = seq;
    // A cached copy of the segment grows with the file (cheaper than reading it again): in steps
    // of CACHE_STEP bytes, each record written in place. (A copy of the whole segment per push was
    // up to 4 KB copied and a new chunk on the heap for every event; room for the whole segment
    // at once held 3 KB more RAM than the file has.)
    const cached = this.cache.find((p) => p.no === target.no);
    if (cached) {
      const from = entry.end - bytes.length; // what was written (a new segment's header too) goes where it went in the file
      if (cached.data.length < entry.end) {
        const grown = new Uint8Array(Math.max(entry.end, Math.min(this.segmentBytes, Math.ceil(entry.end / CACHE_STEP) * CACHE_STEP)));
        grown.set(cached.data.subarray(0, from));
        cached.data = grown;
      }
      cached.data.set(bytes, from);
      cached.entries.push(entry);
      cached.end = entry.end;
    }
    this.count1(target, entry, 1);
    this.highest = seq;
    if (this.head === 0) {
      this.head = seq;
      this.acked = seq - 1;
    }
    this.maybeCompactCursor();
    return { dropped };
  }

  /** The broker acknowledged `seq`: it leaves for good. Unknown seqs (a repeated PUBACK) change nothing. */
  ack(seq: number): void {
    if (!(seq > this.acked) || seq > this.highest || this.early.has(seq)) return;
    if (this.dirty) this.recover();
    const seg = this.segmentOf(seq);
    const e = seg && this.entryOf(seg, seq);
    if (!seg || !e || !this.waits(e)) return;
    this.pendingAcks.push(seq);
    this.count1(seg, e, -1);
    if (seq === this.head) {
      this.acked = seq; // it was the oldest waiting: everything up to it has left
      this.advance();
      this.pruneCache();
    } else {
      this.early.add(seq);
    }
    this.tidy(seg);
    if (this.early.size > E_MAX) this.rewriteEarly();
    if (this.pendingAcks.length >= this.ackBatch || this.count === 0) this.flush();
    this.maybeCompactCursor();
  }

  /** Writes the acks held in RAM (one append). The outbox does it every `ackBatch` acks and when it drains. */
  flush(): void {
    if (this.pendingAcks.length === 0) return;
    const p = new Uint8Array(8 * this.pendingAcks.length);
    this.pendingAcks.forEach((seq, i) => putSeq(p, 8 * i, seq));
    this.writeCursor(encodeRecord(ACK, p));
    this.pendingAcks = [];
  }

  private full(seq: number): OutboxFull {
    return new OutboxFull(`outbox full: ${this.count} alarm entries wait for the broker and none may be dropped; seq ${seq} refused`);
  }

  private dropNewcomer(seq: number): { dropped: number[] } {
    this.writeCursor(seqRecord(DROP, seq));
    this.droppedThrough = seq;
    this.highest = seq;
    if (this.head === 0) this.acked = seq;
    this.maybeCompactCursor();
    return { dropped: [seq] };
  }

  /** The oldest waiting low-priority entry. */
  private oldestLow(): { seg: Segment; e: Entry } | undefined {
    for (const seg of this.segs) {
      if (seg.lows === 0) continue;
      for (const e of this.parsed(seg).entries) if (!e.alarm && this.waits(e)) return { seg, e };
    }
    return undefined;
  }

  /**
   * Drops the oldest low-priority entries: `droppedThrough` moves past them. The DROP record is
   * written now, or (`now` false) batched until before the next write that depends on it.
   */
  private drop(victims: Array<{ seg: Segment; e: Entry }>, dropped: number[], now = true): void {
    for (const { seg, e } of victims) {
      this.droppedThrough = e.seq;
      this.pendingDrop = e.seq;
      this.count1(seg, e, -1);
      dropped.push(e.seq);
      if (e.seq === this.head) this.advance();
    }
    if (now) this.flushDrops();
    for (const { seg } of victims) this.tidy(seg);
  }

  private flushDrops(): void {
    if (this.pendingDrop === 0) return;
    const seq = this.pendingDrop;
    this.writeCursor(seqRecord(DROP, seq));
    this.pendingDrop = 0;
  }

  /**
   * A segment with nothing waiting goes whole, unless it is the newest: events keep going there
   * (a broker that keeps up would otherwise make a file per event); it goes when the next starts.
   */
  private tidy(seg: Segment): void {
    if (seg.live > 0 || !this.segs.includes(seg) || seg === this.segs[this.segs.length - 1]) return;
    this.flushDrops(); // what made it empty is on flash before the file goes
    this.removeSegment(seg);
  }

  private removeSegment(seg: Segment): void {
    this.write(this.slotName(seg.slot), undefined);
    this.segs = this.segs.filter((s) => s !== seg);
    this.forget(seg);
    for (const s of this.early) if (s >= seg.first && s <= seg.last) this.early.delete(s);
  }

  private startSegment(base: number): Segment {
    const newest = this.segs[this.segs.length - 1];
    if (newest && newest.live === 0) this.removeSegment(newest);
    const used = new Set(this.segs.map((s) => s.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    // A file left where no segment is (a remove that failed): it goes before the slot is used.
    if (this.storage.size(this.slotName(slot)) > 0) this.write(this.slotName(slot), undefined);
    const seg: Segment = { slot, no: newest ? newest.no + 1 : 0, base, first: 0, last: 0, bytes: 0, live: 0, lows: 0, liveBytes: 0 };
    this.segs.push(seg);
    return seg;
  }

  /** Merges the first pair of adjacent segments whose waiting entries fit in one. */
  private mergeOne(): boolean {
    for (let k = 0; k + 1 < this.segs.length; k++) {
      const a = this.segs[k];
      const b = this.segs[k + 1];
      // A first guess (a new base can widen the seq varints of the later segment's entries): rewrite checks.
      if (HEADER_BYTES + a.liveBytes + b.liveBytes > this.segmentBytes) continue;
      this.flushDrops();
      if (this.rewrite([a, b])) return true;
    }
    return false;
  }

  /**
   * Rewrites `group` (adjacent, oldest first) as one segment in the first one's slot, waiting
   * entries only: one atomic replace, then the others are removed. False if they do not fit.
   */
  private rewrite(group: Segment[]): boolean {
    const into = group[0];
    const kept: Array<{ seq: number; alarm: boolean; payload: Uint8Array }> = [];
    for (const seg of group) {
      const { data, entries } = this.parsed(seg);
      for (const e of entries) if (this.waits(e)) kept.push({ seq: e.seq, alarm: e.alarm, payload: data.subarray(e.at, e.at + e.length) });
    }
    const base = kept.length ? kept[0].seq : into.base;
    const parts = [headerRecord(into.no, base)];
    const merged: Segment = { slot: into.slot, no: into.no, base, first: 0, last: 0, bytes: HEADER_BYTES, live: kept.length, lows: 0, liveBytes: 0 };
    for (const k of kept) {
      const r = encodeEntry(base, k.seq, k.payload, k.alarm);
      parts.push(r);
      if (merged.first === 0) merged.first = k.seq;
      merged.last = k.seq;
      if (!k.alarm) merged.lows++;
      merged.bytes += r.length;
    }
    if (merged.bytes > this.segmentBytes) return false;
    merged.liveBytes = merged.bytes - HEADER_BYTES;
    this.write(this.slotName(into.slot), concat(parts), true);
    for (const seg of group) this.forget(seg);
    for (const seg of group.slice(1)) this.write(this.slotName(seg.slot), undefined);
    this.segs.splice(this.segs.indexOf(into), group.length, merged);
    for (const s of this.early) if (s >= group[0].first && s <= group[group.length - 1].last) this.early.delete(s);
    if (merged.live === 0) this.removeSegment(merged);
    return true;
  }

  /** Too many acks out of order: the segments holding them are rewritten without them. */
  private rewriteEarly(): void {
    while (this.early.size > E_MAX / 2) {
      let lowest = Infinity;
      for (const s of this.early) lowest = Math.min(lowest, s);
      const seg = this.segmentOf(lowest);
      if (!seg) {
        this.early.delete(lowest);
        continue;
      }
      this.rewrite([seg]);
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  /** Appends, replaces (`replace`) or with no bytes removes a file; a throw marks the outbox for a rebuild. */
  private write(name: string, bytes: Uint8Array | undefined, replace = false): void {
    try {
      if (!bytes) this.storage.remove(name);
      else if (replace) this.storage.replace(name, bytes);
      else this.storage.append(name, bytes);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private writeCursor(record: Uint8Array): void {
    this.write(this.cursorName, record);
    this.cursorBytes += record.length;
  }

  /** After a change is on flash and in RAM: a failed compaction must not make it look failed. */
  private maybeCompactCursor(): void {
    if (this.cursorBytes >= this.compactAt) {
      try {
        this.compactCursor();
      } catch {
        // The old file stands (replace is atomic); the next write tries again.
        this.dirty = false;
      }
    }
  }

  /** Rewrites the cursor file as one STATE record, in one atomic replace. */
  private compactCursor(): void {
    const p = new Uint8Array(24 + 8 * this.early.size);
    putSeq(p, 0, this.acked);
    putSeq(p, 8, this.droppedThrough);
    putSeq(p, 16, this.highest);
    let at = 24;
    for (const s of this.early) {
      putSeq(p, at, s);
      at += 8;
    }
    const record = encodeRecord(STATE, p);
    this.write(this.cursorName, record, true);
    this.cursorBytes = record.length;
    this.pendingAcks = []; // the state written covers them
  }
}
