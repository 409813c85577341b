// The event log: torn writes at every offset, power cuts, the ring, the hash chain.
import test from 'ava';
import fc from 'fast-check';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';
import { EventLog, parseExport, verifyChain, type EventLogOptions, type LogEntry } from '../../src/store/event-log.ts';
import { concat, encodeRecord, readRecords } from '../../src/store/record.ts';
import { eventBytes, isAlarm, range } from './support/events.ts';
import { sha256 } from '@noble/hashes/sha2.js';

/** A segment header record: format, number, previous hash, framed. */
const SEGMENT_HEADER_BYTES = 1 + 4 + 16 + 9;
const small: EventLogOptions = { capacity: 9, segments: 4 }; // 3 events a segment

function filled(n: number, options = small): MemoryStorage {
  const st = new MemoryStorage();
  const { log } = EventLog.open(st, options);
  for (const s of range(1, n)) log.append(s, eventBytes(s), isAlarm(s));
  return st;
}

const view = (entries: LogEntry[]) => entries.map((e) => ({ seq: e.seq, bytes: [...e.bytes], alarm: e.alarm, hash: [...e.hash] }));

test('events append, survive a reopen, and come back from any seq', (t) => {
  const st = filled(7);
  const { log, report } = EventLog.open(st, small);
  t.like(report, { segments: 3, records: 7, bytesCut: 0, firstSeq: 1, lastSeq: 7, problems: [] });
  t.is(log.lastSeq(), 7);
  t.deepEqual(log.entries(5).map((e) => e.seq), [5, 6, 7]);
  t.deepEqual([...log.entries(5)[0].bytes], [...eventBytes(5)]);
  t.true(log.entries(5)[0].alarm);
  t.throws(() => log.append(7, eventBytes(7)), { message: 'event log: seq 7 is not after 7' });
  t.throws(() => log.append(8, new Uint8Array(1025)), { message: /at most 1024/ });
  t.deepEqual(log.entries(8), []);
});

/** Tears the append of `next` after every possible number of bytes; checks what a reboot finds. */
function tearEveryOffset(t: import('ava').ExecutionContext, base: MemoryStorage, next: number, header: number, dropped = 0, options = small) {
  const before = view(EventLog.open(base.clone(), options).log.entries());
  const probe = base.clone();
  const written = probe.totalWritten;
  EventLog.open(probe, options).log.append(next, eventBytes(next));
  const cost = probe.totalWritten - written; // bytes this append writes (a new segment's header included)
  t.true(cost > 30);
  for (let k = 0; k <= cost; k++) {
    const st = base.clone();
    const { log } = EventLog.open(st, options);
    st.cutPowerAfter(k);
    t.throws(() => log.append(next, eventBytes(next)), { instanceOf: PowerCut });
    st.powerOn();
    const { log: again, report } = EventLog.open(st, options);
    const after = view(again.entries());
    const complete = k === cost;
    // Every complete record is kept, byte for byte; the torn one is gone, not half there.
    t.deepEqual(after.filter((e) => e.seq < next), before.filter((e) => e.seq > dropped), `offset ${k}`);
    t.is(again.lastSeq(), complete ? next : next - 1, `offset ${k}: last seq`);
    t.true(again.size() >= Math.min(options.capacity!, next - 1), `offset ${k}: at least capacity kept`);
    // A torn header takes its file with it; a complete header with a torn event is kept, the event cut.
    t.is(report.bytesCut, complete ? 0 : k < header ? k : k - header, `offset ${k}: the torn bytes are reported`);
    t.like(verifyChain(again.export()), { ok: true }, `offset ${k}: chain`);
    // And the log goes on from there.
    again.append(next + 1, eventBytes(next + 1));
    const third = EventLog.open(st, options).log;
    t.is(third.lastSeq(), next + 1);
    t.like(verifyChain(third.export()), { ok: true, lastSeq: next + 1 });
  }
}

test('an event record torn at every byte offset: every earlier record is kept intact', (t) => {
  tearEveryOffset(t, filled(4), 5, 0); // mid-segment
});

test('a segment start torn at every byte offset (header and first event)', (t) => {
  tearEveryOffset(t, filled(6), 7, SEGMENT_HEADER_BYTES); // segment 1 is full: 7 opens segment 2
});

test('a rotation torn at every byte offset: the oldest segment goes whole, capacity is kept', (t) => {
  const base = filled(12); // all four segments full: 13 drops segment 0
  t.deepEqual(base.names(), ['log.0', 'log.1', 'log.2', 'log.3']);
  tearEveryOffset(t, base, 13, SEGMENT_HEADER_BYTES, 3);
});

test('power lost at any point of a run of appends: what returned is there, the chain holds', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 0, max: 20 }), (budget, start) => {
    const st = filled(start);
    const { log } = EventLog.open(st, small);
    const done: number[] = [];
    st.cutPowerAfter(budget);
    try {
      for (let s = start + 1; s < start + 100; s++) {
        log.append(s, eventBytes(s));
        done.push(s);
      }
    } catch (err) {
      if (!(err instanceof PowerCut)) throw err;
    }
    st.powerOn();
    const again = EventLog.open(st, small).log;
    const seqs = again.entries().map((e) => e.seq);
    const last = done.length ? done[done.length - 1] : start;
    // Nothing that returned is lost; at most the one in flight appears in addition.
    if (again.lastSeq() !== last && again.lastSeq() !== last + 1) return false;
    if (!done.slice(-9).every((s) => seqs.includes(s))) return false;
    if (seqs.length < Math.min(9, again.lastSeq())) return false;
    return verifyChain(again.export()).ok;
  }), { numRuns: 150 });
  t.pass();
});

test('a storage error the device survives: the log repairs its tail and goes on', (t) => {
  for (const k of [0, 5, 30]) {
    const st = filled(4);
    const { log } = EventLog.open(st, small);
    st.tearNextAppend(k);
    t.throws(() => log.append(5, eventBytes(5)), { instanceOf: PowerCut });
    st.powerOn(); // same session: no reboot, no reopen
    log.append(5, eventBytes(5));
    log.append(6, eventBytes(6));
    const again = EventLog.open(st, small);
    t.is(again.report.bytesCut, 0, 'the torn tail was cut before the next append');
    t.deepEqual(again.log.entries().map((e) => e.seq), range(1, 6));
    t.like(verifyChain(again.log.export()), { ok: true });
  }
  // The append failed after its record was complete: the retry is refused, the record kept once.
  const st = filled(4);
  const { log } = EventLog.open(st, small);
  st.tearNextAppend(10_000);
  t.throws(() => log.append(5, eventBytes(5)), { instanceOf: PowerCut });
  st.powerOn();
  t.throws(() => log.append(5, eventBytes(5)), { message: 'event log: seq 5 is not after 5' });
  log.append(6, eventBytes(6));
  t.deepEqual(EventLog.open(st, small).log.entries().map((e) => e.seq), range(1, 6));
});

test('the ring: over 3,000 events keep at least 1,000, whole segments are dropped, nothing is rewritten', (t) => {
  const st = new MemoryStorage();
  const ops: string[] = [];
  const spy = {
    read: (n: string) => st.read(n),
    append: (n: string, b: Uint8Array) => st.append(n, b),
    replace: (n: string, b: Uint8Array) => { ops.push(`replace ${n}`); st.replace(n, b); },
    remove: (n: string) => { if (st.size(n) > 0) ops.push(`remove ${n}`); st.remove(n); },
    size: (n: string) => st.size(n),
  };
  const { log } = EventLog.open(spy);
  t.is(log.perSegment, 334);
  let first = 1;
  for (let s = 1; s <= 3200; s++) {
    log.append(s, eventBytes(s));
    t.true(log.size() >= Math.min(s, 1000) && log.size() <= 4 * 334, `after ${s}: ${log.size()} kept`);
    if (log.firstSeq() !== first) {
      t.is(log.firstSeq() - first, 334, 'the oldest segment went whole');
      first = log.firstSeq();
    }
  }
  t.deepEqual(ops.filter((o) => o.startsWith('replace')), [], 'no file was ever rewritten');
  t.deepEqual(ops, ['remove log.0', 'remove log.1', 'remove log.2', 'remove log.3', 'remove log.0', 'remove log.1'], 'segments 0…5 dropped whole as 4…9 began');
  t.deepEqual(st.names(), ['log.0', 'log.1', 'log.2', 'log.3']);
  const again = EventLog.open(st).log;
  t.is(again.size(), log.size());
  t.deepEqual(again.entries().map((e) => e.seq), range(log.firstSeq(), 3200));
  const check = verifyChain(again.export());
  t.like(check, { ok: true, lastSeq: 3200, firstSeq: log.firstSeq() });
  t.true(check.ok && check.count >= 1000);
  t.notDeepEqual([...parseExport(again.export())!.anchor], new Array(16).fill(0), 'the export is anchored to a dropped event');
});

/** An export with `n` entries, and where each entry's record sits in it. */
function exported(n: number) {
  const st = filled(n);
  const bytes = EventLog.open(st, small).log.export();
  const { records } = readRecords(bytes);
  return { bytes, records, st };
}

test('an export verifies, and a flipped byte anywhere is found at its entry', (t) => {
  const { bytes, records } = exported(8);
  t.like(verifyChain(bytes), { ok: true, count: 8, firstSeq: 1, lastSeq: 8 });
  for (let at = 0; at < bytes.length; at++) {
    const bad = bytes.slice();
    bad[at] ^= 0x04;
    const entry = records.findIndex((r) => at >= r.start && at < r.end) - 1; // −1: the export header
    const check = verifyChain(bad);
    t.false(check.ok, `byte ${at}`);
    if (!check.ok) t.is(check.index, Math.max(0, entry), `byte ${at}: ${check.reason}`);
  }
});

test('an edit with its CRC fixed is caught by the hash; one with the hash redone, by the next link', (t) => {
  const { bytes, records } = exported(8);
  const edit = (i: number, redoHash: boolean) => {
    const r = records[i + 1];
    const payload = r.payload.slice();
    payload[payload.length - 1] ^= 0x01; // one bit of the event itself
    if (redoHash) {
      const prev = i === 0 ? parseExport(bytes)!.anchor : records[i].payload.subarray(9, 25);
      payload.set(rehash(prev, payload), 9);
    }
    return concat([bytes.subarray(0, r.start), encodeRecord(r.type, payload), bytes.subarray(r.end)]);
  };
  for (const i of [0, 3, 7]) {
    const plain = verifyChain(edit(i, false));
    t.like(plain, { ok: false, index: i });
    t.regex(plain.ok ? '' : plain.reason, /does not follow the chain/);
    const forged = verifyChain(edit(i, true));
    t.like(forged, { ok: false, index: i + 1 }, 'the forged entry is self-consistent; the next link (or the head) gives it away');
  }
});

/** The chain rule, restated independently of the module: SHA-256(prev ‖ seq ‖ flags ‖ bytes)[0:16]. */
function rehash(prev: Uint8Array, payload: Uint8Array): Uint8Array {
  return sha256(concat([prev, payload.subarray(0, 9), payload.subarray(25)])).subarray(0, 16);
}

test('the stored hashes follow the documented rule, alarm entries (flag set) included', (t) => {
  const { records } = exported(6);
  t.deepEqual(records.slice(1).map((r) => r.payload[8]), [0, 0, 0, 0, 1, 0], 'seq 5 carries the alarm flag');
  let prev = new Uint8Array(16);
  for (const r of records.slice(1)) {
    t.deepEqual([...r.payload.subarray(9, 25)], [...rehash(prev, r.payload)]);
    prev = r.payload.slice(9, 25);
  }
});

test('the alarm flag is in the chain: flipping it (CRC fixed) breaks the chain at that entry', (t) => {
  // An alarm rewritten as an ordinary event (or the reverse) must not pass as the panel's own log.
  const { bytes, records } = exported(8);
  for (const i of [0, 4, 7]) { // seq 1 and 8 ordinary, seq 5 an alarm
    const r = records[i + 1];
    const payload = r.payload.slice();
    payload[8] ^= 0x01;
    const check = verifyChain(concat([bytes.subarray(0, r.start), encodeRecord(r.type, payload), bytes.subarray(r.end)]));
    t.like(check, { ok: false, index: i }, `entry ${i}`);
    t.regex(check.ok ? '' : check.reason, /does not follow the chain/);
  }
  // The same on flash: the log read back after the edit shows the flipped flag, and its export does not verify.
  const st = filled(8);
  const file = st.read('log.1'); // seqs 4, 5, 6
  const { records: onFlash } = readRecords(file);
  const r = onFlash[2]; // seq 5
  const payload = r.payload.slice();
  payload[8] = 0;
  st.replace('log.1', concat([file.subarray(0, r.start), encodeRecord(r.type, payload), file.subarray(r.end)]));
  const { log } = EventLog.open(st, small);
  t.false(log.entries(5, 1)[0].alarm);
  t.like(verifyChain(log.export()), { ok: false, index: 4 });
});

test('a missing, extra or cut-off entry is reported', (t) => {
  const { bytes, records } = exported(6);
  const without = (i: number) => concat([bytes.subarray(0, records[i + 1].start), bytes.subarray(records[i + 1].end)]);
  t.like(verifyChain(without(2)), { ok: false, index: 2 });
  t.like(verifyChain(without(5)), { ok: false, index: 5 }, 'the last one gone: the count and head say so');
  t.like(verifyChain(bytes.subarray(0, bytes.length - 3)), { ok: false, index: 5 });
  t.like(verifyChain(bytes.subarray(0, 10)), { ok: false, index: 0 });
  t.like(verifyChain(new Uint8Array(0)), { ok: false, index: 0, reason: 'no valid export header' });
});

test('damage in the middle of a segment on flash: later records are kept and the chain shows the gap', (t) => {
  const st = filled(8); // segments of 3: seq 4 is the first event of log.1
  const file = st.read('log.1');
  const { records } = readRecords(file);
  st.flip('log.1', records[2].start + 12); // inside seq 5
  const { log, report } = EventLog.open(st, small);
  t.deepEqual(log.entries().map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8]);
  t.is(report.bytesCut, records[2].end - records[2].start);
  t.regex(report.problems.join('\n'), /log\.1: \d+ damaged bytes between valid records skipped/);
  t.like(verifyChain(log.export()), { ok: false, index: 4 }, 'entry 4 (seq 6) does not link to seq 4');
  log.append(9, eventBytes(9));
  t.is(EventLog.open(st, small).log.lastSeq(), 9, 'the log goes on');
});

test('a segment whose header is unreadable is removed at boot and reported', (t) => {
  const st = filled(4);
  st.append('log.2', new Uint8Array([1, 2, 3])); // a rotation cut right after it began
  const { log, report } = EventLog.open(st, small);
  t.is(report.segments, 2);
  t.is(report.bytesCut, 3);
  t.deepEqual(report.problems, ['log.2: no valid segment header, 3 bytes removed']);
  t.false(st.names().includes('log.2'));
  t.is(log.lastSeq(), 4);
});

test('an export streamed part by part is the log as it was when it began', (t) => {
  const st = filled(8);
  const { log } = EventLog.open(st, small);
  const parts = log.exportParts();
  const got = [parts.next().value!, parts.next().value!];
  log.append(9, eventBytes(9)); // fills the newest segment while the export is under way
  for (const p of parts) got.push(p);
  t.is(got.length, 1 + 3, 'a header and one part per segment');
  t.like(verifyChain(concat(got)), { ok: true, count: 8, lastSeq: 8 });
  t.deepEqual(log.entries(3, 2).map((e) => e.seq), [3, 4], 'entries can be paged');

  const streaming = log.exportParts();
  streaming.next();
  for (const s of range(10, 13)) log.append(s, eventBytes(s)); // 13 starts a segment in the oldest one's slot
  t.throws(() => [...streaming], { message: 'event log: a segment was dropped during the export; export again' });
});
