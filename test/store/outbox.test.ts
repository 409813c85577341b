// The persistent outbox: order across reboots, drop policy, compaction, torn writes.
import test from 'ava';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';
import { OutboxFull, PersistentOutbox, type OutboxOptions } from '../../src/store/outbox.ts';
import { eventBytes, range } from './support/events.ts';

const seqs = (o: PersistentOutbox) => o.peek(1000).map((e) => e.seq);
const reopen = (st: MemoryStorage, options: OutboxOptions = {}) => PersistentOutbox.open(st, options);

test('unacknowledged entries come back after a reopen, oldest first, with their payloads', (t) => {
  const st = new MemoryStorage();
  const { outbox } = reopen(st);
  for (const s of range(1, 6)) outbox.push(s, eventBytes(s), s === 3);
  outbox.ack(2);
  outbox.ack(4);
  outbox.ack(99); // a PUBACK for nothing we hold: no change, no write
  t.deepEqual(seqs(outbox), [1, 3, 5, 6]);
  t.deepEqual(outbox.peek(2).map((e) => e.seq), [1, 3]);
  const { outbox: again, report } = reopen(st);
  t.deepEqual(report, { entries: 4, bytesCut: 0, highestSeq: 6, problems: [] });
  t.deepEqual(seqs(again), [1, 3, 5, 6]);
  t.deepEqual([...again.peek(2)[1].payload], [...eventBytes(3)]);
  t.is(again.alarms(), 1);
  t.is(again.size(), 4);
});

test('seqs must grow; a bad one is refused and changes nothing', (t) => {
  const st = new MemoryStorage();
  const { outbox } = reopen(st);
  outbox.push(5, eventBytes(5), false);
  const before = st.totalWritten;
  t.throws(() => outbox.push(5, eventBytes(5), false), { message: 'outbox: seq 5 is not after 5' });
  t.throws(() => outbox.push(0, eventBytes(5), false), { message: /not a positive integer/ });
  t.throws(() => outbox.push(6, new Uint8Array(2000), false), { message: /at most 1024/ });
  outbox.ack(77);
  t.is(st.totalWritten, before);
  t.deepEqual(seqs(outbox), [5]);
});

test('full: the oldest low-priority entry goes first, alarms never; all alarms grow to the hard cap, then refuse', (t) => {
  const st = new MemoryStorage();
  const { outbox } = reopen(st, { capacity: 4, hardCap: 6 });
  const A = true;
  const L = false;
  t.deepEqual(outbox.push(1, eventBytes(1), L).dropped, []);
  outbox.push(2, eventBytes(2), A);
  outbox.push(3, eventBytes(3), L);
  outbox.push(4, eventBytes(4), A);
  t.deepEqual(outbox.push(5, eventBytes(5), L).dropped, [1], 'oldest low-priority');
  t.deepEqual(outbox.push(6, eventBytes(6), A).dropped, [3], 'an alarm pushes out a low-priority one');
  t.deepEqual(outbox.push(7, eventBytes(7), A).dropped, [5]);
  t.deepEqual(seqs(outbox), [2, 4, 6, 7], 'only alarms are left');
  t.deepEqual(outbox.push(8, eventBytes(8), L).dropped, [8], 'a low-priority newcomer is the one dropped');
  t.deepEqual(outbox.push(9, eventBytes(9), A).dropped, [], 'alarms grow past capacity');
  t.deepEqual(outbox.push(10, eventBytes(10), A).dropped, []);
  t.is(outbox.size(), 6);
  const err = t.throws(() => outbox.push(11, eventBytes(11), A), { instanceOf: OutboxFull });
  t.is(err?.message, 'outbox full: 6 alarm entries wait for the broker and none may be dropped; seq 11 refused');
  t.deepEqual(seqs(outbox), [2, 4, 6, 7, 9, 10], 'the refusal changed nothing');
  outbox.ack(2);
  t.deepEqual(outbox.push(11, eventBytes(11), A).dropped, [], 'room again after an ack');
  const { outbox: again, report } = reopen(st, { capacity: 4, hardCap: 6 });
  t.deepEqual(seqs(again), [4, 6, 7, 9, 10, 11]);
  t.is(report.highestSeq, 11);
  t.throws(() => again.push(8, eventBytes(8), L), { message: /not after 11/ }, 'a dropped seq stays used');
});

test('online, segments come and go whole: bounded files, no segment ever rewritten, same entries after a reopen', (t) => {
  const st = new MemoryStorage();
  const replaced: string[] = [];
  const spy = Object.assign(Object.create(st) as MemoryStorage, {
    replace: (n: string, b: Uint8Array) => { replaced.push(n); st.replace(n, b); },
  });
  const { outbox } = PersistentOutbox.open(spy, { compactAt: 1024 });
  for (const s of range(1, 2000)) {
    outbox.push(s, eventBytes(s), false);
    if (s > 3) outbox.ack(s - 3); // three in flight, as on a live link
    t.true(outbox.files().length <= 3, `after ${s}: ${outbox.files().join(' ')}`);
  }
  t.true(replaced.length >= 10, `the cursor file was compacted ${replaced.length} times`);
  t.deepEqual(replaced.filter((n) => n !== 'outbox.ack'), [], 'a segment is never rewritten while the broker keeps up');
  t.deepEqual(seqs(outbox), [1998, 1999, 2000]);
  t.deepEqual(seqs(reopen(st).outbox), [1998, 1999, 2000], 'a reopen finds the same entries');
  for (const s of [1998, 1999, 2000]) outbox.ack(s);
  t.deepEqual(outbox.files(), ['outbox.0', 'outbox.ack'], 'only the newest segment is left, for the next events');
  t.true(outbox.flashBytes() <= 2 * 4096);
  const { outbox: again, report } = reopen(st);
  t.is(again.size(), 0);
  t.is(report.highestSeq, 2000, 'kept by the cursor even with nothing waiting');
  t.throws(() => again.push(2000, eventBytes(2000), false), { message: /not after 2000/ });
});

test('a push or an ack torn at every byte offset: every earlier entry and ack holds', (t) => {
  const each = { ackBatch: 1 }; // every ack written as it comes
  const base = new MemoryStorage();
  const { outbox } = reopen(base, each);
  for (const s of range(1, 4)) outbox.push(s, eventBytes(s), s === 2);
  outbox.ack(1);
  for (const [what, act, done] of [
    ['push 5', (o: PersistentOutbox) => o.push(5, eventBytes(5), false), [2, 3, 4, 5]],
    ['ack 3', (o: PersistentOutbox) => o.ack(3), [2, 4]],
  ] as const) {
    const probe = base.clone();
    act(reopen(probe, each).outbox);
    const cost = probe.totalWritten;
    for (let k = 0; k <= cost; k++) {
      const st = base.clone();
      const { outbox: o } = reopen(st, each);
      st.tearNextAppend(k);
      t.throws(() => act(o), { instanceOf: PowerCut });
      st.powerOn();
      const { outbox: again, report } = reopen(st, each);
      // Torn: as before (an ack lost means a resend, which consumers de-duplicate). Complete: done.
      t.deepEqual(seqs(again), k === cost ? [...done] : [2, 3, 4], `${what} torn at ${k}`);
      t.is(report.bytesCut, k === cost ? 0 : k, `${what} torn at ${k}: bytes cut`);
      t.deepEqual([...again.peek(1)[0].payload], [...eventBytes(2)]);
      again.push(6, eventBytes(6), false);
      t.is(reopen(st, each).outbox.peek(10).at(-1)?.seq, 6, 'and it goes on');
    }
  }
});

test('a cursor compaction cut by a power cut at any byte leaves the old cursor file, whole', (t) => {
  const base = new MemoryStorage();
  const { outbox } = reopen(base, { compactAt: 1 << 20, ackBatch: 1 }); // no compaction while filling
  for (const s of range(1, 30)) outbox.push(s, eventBytes(s), s % 4 === 0);
  for (const s of range(1, 25)) if (s % 3 !== 0) outbox.ack(s); // out of order: 3, 6 … wait
  const waiting = seqs(outbox);
  const small = { compactAt: 300, ackBatch: 1 };
  // The next ack is appended, then the cursor file (over 300 bytes) is compacted.
  const probe = base.clone();
  reopen(probe, small).outbox.ack(26);
  const compacted = probe.read('outbox.ack');
  // One STATE record: acked-through, dropped-through, highest and the 30-odd acks above the first gap.
  t.true(compacted.length < base.size('outbox.ack'), `compacted to ${compacted.length} bytes`);
  const ackBytes = 17;
  for (let k = ackBytes; k <= ackBytes + compacted.length; k++) {
    const st = base.clone();
    const { outbox: o } = reopen(st, small);
    st.cutPowerAfter(k);
    try {
      o.ack(26); // the ack is stored before the compaction starts: a cut there does not fail it
    } catch (err) {
      t.true(err instanceof PowerCut && k === ackBytes, `cut at ${k}: only a cut in the ack itself fails the ack`);
    }
    t.true(st.isOff, `cut at ${k}: the power went`);
    st.powerOn();
    const file = st.read('outbox.ack');
    const done = k === ackBytes + compacted.length;
    t.is(file.length, done ? compacted.length : base.size('outbox.ack') + ackBytes, `cut at ${k}: the old file or the new one`);
    t.deepEqual(seqs(reopen(st, small).outbox), waiting.filter((s) => s !== 26), `cut at ${k}`);
  }
});

test('acks out of order: the segments holding them are rewritten once too many wait, alarms stay alarms across a reopen', (t) => {
  const st = new MemoryStorage();
  const replaced: string[] = [];
  const spy = Object.assign(Object.create(st) as MemoryStorage, {
    replace: (n: string, b: Uint8Array) => { replaced.push(n); st.replace(n, b); },
  });
  const options = { capacity: 300, segmentBytes: 1100 };
  const { outbox } = PersistentOutbox.open(spy, options);
  for (const s of range(1, 300)) outbox.push(s, eventBytes(s), s % 5 === 0);
  // Seq 1 never acknowledged (a broker refusing it), everything else is.
  for (const s of range(2, 290)) if (s % 5 !== 0) outbox.ack(s);
  t.true(replaced.some((n) => n !== 'outbox.ack'), 'segments were rewritten without the acknowledged entries');
  const waiting = [1, ...range(2, 300).filter((s) => s % 5 === 0 || s > 290)];
  t.deepEqual(seqs(outbox), waiting);
  const { outbox: again } = reopen(st, options);
  t.deepEqual(seqs(again), waiting, 'a reopen finds the same');
  t.is(again.alarms(), 60, 'the alarms came back from the rewritten segments as alarms');
  t.deepEqual(again.push(301, eventBytes(301), false).dropped, [], 'below capacity');
  const full = reopen(st, { ...options, capacity: again.size() });
  t.deepEqual(full.outbox.push(302, eventBytes(302), false).dropped, [1], 'full: the oldest low-priority one goes, never an alarm');
  t.deepEqual(full.outbox.push(303, eventBytes(303), false).dropped, [291]);
});

test('acks are written in batches: a power cut loses at most a batch, those events come again, nothing else', (t) => {
  const st = new MemoryStorage();
  const writes: string[] = [];
  const spy = Object.assign(Object.create(st) as MemoryStorage, {
    append: (n: string, b: Uint8Array) => { writes.push(n); st.append(n, b); },
  });
  const { outbox } = PersistentOutbox.open(spy, { ackBatch: 16 });
  for (const s of range(1, 100)) outbox.push(s, eventBytes(s), s % 10 === 0);
  writes.length = 0;
  for (const s of range(1, 40)) outbox.ack(s);
  t.deepEqual(writes, ['outbox.ack', 'outbox.ack'], '40 acks, two appends of 16');
  t.is(outbox.size(), 60);
  // The power goes now: the 8 acks in RAM are lost, and those events go again.
  const { outbox: again } = reopen(st);
  t.deepEqual(seqs(again), range(33, 100));
  outbox.flush();
  t.deepEqual(seqs(reopen(st).outbox), range(41, 100), 'flush writes what RAM held');
  for (const s of range(41, 100)) outbox.ack(s);
  t.is(reopen(st).outbox.size(), 0, 'a drained outbox writes its acks at once');
});

test('the single-file outbox of the earlier version is moved to segments: what waited still waits, seqs stay used', async (t) => {
  const { PersistentOutbox: Before } = await import('../../bench/legacy/outbox-v1.ts');
  const st = new MemoryStorage();
  const { outbox: old } = Before.open(st);
  for (const s of range(1, 30)) old.push(s, eventBytes(s), s % 5 === 0);
  for (const s of range(1, 20)) if (s % 5 !== 0) old.ack(s);
  old.ack(30);
  t.deepEqual(st.names(), ['outbox']);
  const { outbox, report } = reopen(st);
  t.deepEqual(seqs(outbox), [5, 10, 15, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  t.is(outbox.alarms(), 5);
  t.deepEqual([...outbox.peek(1)[0].payload], [...eventBytes(5)]);
  t.is(report.highestSeq, 30, 'the acknowledged seq 30 stays used');
  t.deepEqual(report.problems, ['outbox: the single-file outbox of an earlier version moved to segments (13 waiting)']);
  t.false(st.names().includes('outbox'), 'the old file is gone');
  const { outbox: again, report: second } = reopen(st);
  t.deepEqual(seqs(again), seqs(outbox));
  t.deepEqual(second.problems, []);
  t.throws(() => again.push(30, eventBytes(30), false), { message: /not after 30/ });
});
