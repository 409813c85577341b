// The outbox through a long outage: 10,000 events on flash within 512 KB, segments, merges, cuts.
import test from 'ava';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';
import { PersistentOutbox, type OutboxOptions } from '../../src/store/outbox.ts';
import { encodeEvent } from '../../src/uplink/payloads.ts';
import { ContactId } from '../../src/core/events.ts';
import { range } from './support/events.ts';

const KB = 1024;
/** Flash the outbox's files take on littlefs: whole 4 KB blocks each. */
const flash = (st: MemoryStorage) => st.names().filter((n) => n.startsWith('outbox')).reduce((n, name) => n + Math.ceil(st.size(name) / 4096) * 4096, 0);
const seqs = (o: PersistentOutbox) => o.peek(1e6).map((e) => e.seq);
/** Long lists compared as text: ava's deep diff of 10,000 numbers takes seconds. */
const list = (a: number[]) => a.join(',');
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A panel's real events (15–27 B of CBOR): openings/closings, with a zone alarm every `alarmEvery`. */
function realEvent(seq: number, alarmEvery = 10): { payload: Uint8Array; alarm: boolean } {
  const base = { seq, boot: 12, uptime: 86_400_000 + seq * 1000, time: 1_790_000_000 + seq };
  const alarm = seq % alarmEvery === 0;
  const payload = encodeEvent(alarm ? { ...base, code: ContactId.burglary, q: 1, zone: 1 + (seq % 8) } : { ...base, code: ContactId.openClose, q: seq % 2 ? 1 : 3, user: 1 });
  return { payload, alarm };
}

/** A payload of exactly `n` bytes, different for each seq. */
const sized = (seq: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (seq * 31 + i * 7) & 0xff);

test('10,000 real events wait on flash within 512 KB, come back after a reopen, and leave across segments as acked', (t) => {
  const st = new MemoryStorage();
  const { outbox } = PersistentOutbox.open(st);
  const dropped: number[] = [];
  for (const s of range(1, 10_000)) {
    const { payload, alarm } = realEvent(s);
    dropped.push(...outbox.push(s, payload, alarm).dropped);
  }
  t.deepEqual(dropped, []);
  t.is(outbox.size(), 10_000);
  t.is(outbox.alarms(), 1000);
  t.true(flash(st) <= 512 * KB, `${flash(st)} bytes of flash`);
  t.is(outbox.flashBytes(), flash(st));
  t.true(st.names().every((n) => st.size(n) <= 4096), 'every file within one block');
  t.log(`10,000 real events: ${outbox.files().length} files, ${flash(st) / KB} KB of flash (${(flash(st) / 10_000).toFixed(1)} B per event)`);

  const { outbox: again, report } = PersistentOutbox.open(st);
  t.deepEqual(report, { entries: 10_000, bytesCut: 0, highestSeq: 10_000, problems: [] });
  const all = again.peek(10_000);
  t.is(list(all.map((e) => e.seq)), list(range(1, 10_000)), 'in order');
  t.true(all.every((e) => sameBytes(e.payload, realEvent(e.seq).payload)), 'every payload as pushed');

  // The broker takes them back, a window of 32 at a time, acking in order.
  const files = again.files().length;
  for (let done = 0; done < 5_000;) {
    const window = again.peek(Math.min(32, 5_000 - done));
    for (const e of window) again.ack(e.seq);
    done += window.length;
  }
  t.is(again.size(), 5_000);
  t.true(again.files().length <= files / 2 + 2, `acked segments removed: ${files} → ${again.files().length} files`);
  const { outbox: third } = PersistentOutbox.open(st);
  t.is(list(seqs(third)), list(range(5_001, 10_000)), 'a reopen midway finds the rest');
  for (const e of third.peek(10_000)) third.ack(e.seq);
  t.is(third.size(), 0);
  t.true(flash(st) <= 2 * 4096, 'emptied: the newest segment and the cursor are left');
});

test('the stated bound: 10,000 entries of 42-byte payloads fit in 512 KB with nothing dropped', (t) => {
  const st = new MemoryStorage();
  const { outbox } = PersistentOutbox.open(st);
  const dropped: number[] = [];
  for (const s of range(1, 10_000)) dropped.push(...outbox.push(s, sized(s, 42), s % 7 === 0).dropped);
  t.deepEqual(dropped, []);
  t.is(outbox.size(), 10_000);
  t.true(flash(st) <= 512 * KB, `${flash(st)} bytes`);
  t.log(`42-byte payloads: ${outbox.files().length} files, ${flash(st) / KB} KB`);
});

test('an acknowledgement out of order, across segments, leaves the entry gone after a reopen', (t) => {
  const st = new MemoryStorage();
  const options: OutboxOptions = { segmentBytes: 1100 };
  const { outbox } = PersistentOutbox.open(st, options);
  for (const s of range(1, 200)) outbox.push(s, sized(s, 30), false);
  t.true(outbox.files().length >= 5);
  for (const s of [150, 3, 77, 1, 199, 2]) outbox.ack(s);
  const expected = range(4, 200).filter((s) => ![150, 77, 199].includes(s));
  t.deepEqual(seqs(outbox), expected);
  t.deepEqual(seqs(PersistentOutbox.open(st, options).outbox), expected);
  outbox.ack(150); // again: nothing to do
  t.deepEqual(seqs(PersistentOutbox.open(st, options).outbox), expected);
});

test('overfilled past the flash: low-priority entries go oldest first, every alarm stays, the flash bound holds', (t) => {
  const st = new MemoryStorage();
  const { outbox } = PersistentOutbox.open(st);
  const dropped: number[] = [];
  // 60-byte payloads: the flash (124 segments) fills before the 10,000-entry capacity.
  let most = 0;
  for (const s of range(1, 20_000)) {
    dropped.push(...outbox.push(s, sized(s, 60), s % 10 === 0).dropped);
    most = Math.max(most, outbox.files().length);
  }
  t.true(most <= 125, `at most ${most} files: 124 segments and the cursor`);
  t.true(dropped.length > 10_000, `${dropped.length} dropped`);
  t.false(dropped.some((s) => s % 10 === 0), 'no alarm dropped');
  t.is(list(dropped), list([...dropped].sort((a, b) => a - b)), 'oldest first');
  const waiting = seqs(outbox);
  t.is(list(waiting.filter((s) => s % 10 === 0)), list(range(1, 2_000).map((k) => 10 * k)), 'every alarm waits, in order');
  t.true(flash(st) <= 512 * KB, `${flash(st)} bytes`);
  t.log(`60-byte payloads: ${waiting.length} waiting (${outbox.alarms()} alarms) in ${flash(st) / KB} KB`);
  t.is(list(seqs(PersistentOutbox.open(st).outbox)), list(waiting), 'a reopen finds the same');
});

test('a push that starts a new segment, torn at every byte: earlier entries hold, a headless file is removed, it goes on', (t) => {
  const options: OutboxOptions = { segmentBytes: 1100 };
  const base = new MemoryStorage();
  const { outbox } = PersistentOutbox.open(base, options);
  let s = 0;
  while (outbox.files().length < 3) outbox.push(++s, sized(s, 30), s % 3 === 0); // seq s opened the third segment
  const before = range(1, s);
  const alarms = before.filter((q) => q % 3 === 0).length;
  const next = s + 1;
  // Fill the third segment to its last entry, then the next push starts a fourth.
  let last = s;
  for (;;) {
    const probe = base.clone();
    const p = PersistentOutbox.open(probe, options).outbox;
    p.push(last + 1, sized(last + 1, 30), false);
    if (p.files().length > 3) break;
    outbox.push(++last, sized(last, 30), false);
    before.push(last);
  }
  const probe = base.clone();
  PersistentOutbox.open(probe, options).outbox.push(last + 1, sized(last + 1, 30), true);
  const cost = probe.totalWritten;
  t.true(cost > 22, 'the append carries the new header and the entry');
  t.true(next <= last + 1);
  for (let k = 0; k <= cost; k++) {
    const st = base.clone();
    const { outbox: o } = PersistentOutbox.open(st, options);
    st.tearNextAppend(k);
    t.throws(() => o.push(last + 1, sized(last + 1, 30), true), { instanceOf: PowerCut });
    st.powerOn();
    const { outbox: again, report } = PersistentOutbox.open(st, options);
    const done = k === cost;
    t.deepEqual(seqs(again), done ? [...before, last + 1] : before, `torn at ${k}`);
    t.is(report.bytesCut, done ? 0 : k < 22 ? k : k - 22, `torn at ${k}: bytes cut (a whole header alone is a valid, empty segment)`);
    if (!done && k > 0 && k < 22) t.deepEqual(report.problems, [`outbox.3: no valid segment header, ${k} bytes removed`]);
    t.is(again.alarms(), alarms + (done ? 1 : 0));
    again.push(last + 2, sized(last + 2, 30), false);
    t.is(seqs(PersistentOutbox.open(st, options).outbox).at(-1), last + 2, `torn at ${k}: and it goes on`);
  }
});

test('a merge cut by a power cut at any byte: no entry lost or doubled, no alarm dropped, order kept', (t) => {
  const options: OutboxOptions = { segmentBytes: 1100, segments: 4, capacity: 1000 };
  const base = new MemoryStorage();
  const { outbox } = PersistentOutbox.open(base, options);
  const alarm = (q: number) => q % 4 === 0;
  let s = 0;
  // Fill all four segments; the broker takes most of the first two, leaving their alarms.
  for (;;) {
    const probe = base.clone();
    const p = PersistentOutbox.open(probe, options).outbox;
    p.push(s + 1, sized(s + 1, 30), alarm(s + 1));
    if (probe.names().some((n) => probe.written.has(n) && n !== 'outbox.ack' && probe.written.get(n)! > 200)) break; // a merge (a replace) came
    outbox.push(++s, sized(s, 30), alarm(s));
    if (s > 40 && s <= 90 && !alarm(s - 40)) outbox.ack(s - 40);
  }
  const before = seqs(outbox);
  const probe = base.clone();
  PersistentOutbox.open(probe, options).outbox.push(s + 1, sized(s + 1, 30), alarm(s + 1));
  const cost = probe.totalWritten;
  const merged = seqs(PersistentOutbox.open(probe, options).outbox);
  t.deepEqual(merged, [...before.filter((q) => merged.includes(q)), s + 1]);
  for (let k = 0; k <= cost; k++) {
    const st = base.clone();
    const { outbox: o } = PersistentOutbox.open(st, options);
    st.cutPowerAfter(k);
    try {
      o.push(s + 1, sized(s + 1, 30), alarm(s + 1));
    } catch (err) {
      t.true(err instanceof PowerCut, `cut at ${k}`);
    }
    st.powerOn();
    const again = PersistentOutbox.open(st, options).outbox;
    const got = seqs(again);
    t.deepEqual(got, [...new Set(got)].sort((a, b) => a - b), `cut at ${k}: in order, none twice`);
    t.true(got.every((q) => before.includes(q) || q === s + 1), `cut at ${k}: nothing new but the pushed entry`);
    t.deepEqual(got.filter((q) => q <= s && alarm(q)), before.filter(alarm), `cut at ${k}: every alarm kept`);
    t.true(again.peek(1e6).every((e) => sameBytes(e.payload, sized(e.seq, 30))), `cut at ${k}: payloads intact`);
    t.true(st.names().filter((n) => n.startsWith('outbox.') && n !== 'outbox.ack').length <= 4, `cut at ${k}: within 4 segments`);
  }
});
