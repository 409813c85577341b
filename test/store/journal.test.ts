// The journal: log, outbox and state together, and what a reboot finds.
import test from 'ava';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';
import { Journal, type JournalOptions } from '../../src/store/journal.ts';
import { verifyChain } from '../../src/store/event-log.ts';
import { eventBytes, isAlarm, range } from './support/events.ts';

const options: JournalOptions = { log: { capacity: 20, segments: 4 }, outbox: { capacity: 8 } };
const outboxSeqs = (j: Journal) => j.outbox.peek(100).map((e) => e.seq);

test('a fresh journal opens empty; recorded events are logged and queued', (t) => {
  const st = new MemoryStorage();
  const { journal, report } = Journal.open(st, options);
  t.like(report, { recordsKept: 0, bytesCut: 0, segments: 0, requeued: 0, dropped: [], problems: [] });
  t.is(journal.lastSeq(), 0);
  for (const s of range(1, 5)) t.deepEqual(journal.record(s, eventBytes(s), isAlarm(s)), { dropped: [] });
  journal.outbox.ack(1);
  journal.state.save('core', new Uint8Array([1, 2, 3]));
  const { journal: again, report: r2 } = Journal.open(st, options);
  t.like(r2, { recordsKept: 5 + 4, bytesCut: 0, segments: 1, requeued: 0 });
  t.is(again.lastSeq(), 5);
  t.deepEqual(outboxSeqs(again), [2, 3, 4, 5]);
  t.deepEqual(again.log.entries().map((e) => [e.seq, e.alarm]), [[1, false], [2, false], [3, false], [4, false], [5, true]]);
  t.deepEqual([...again.state.load('core').bytes!], [1, 2, 3]);
});

test('recording torn at every byte: after a reboot the event is in both log and outbox, or in neither', (t) => {
  const base = new MemoryStorage();
  const { journal } = Journal.open(base, options);
  for (const s of range(1, 4)) journal.record(s, eventBytes(s), isAlarm(s));
  journal.outbox.ack(1);
  const probe = base.clone();
  Journal.open(probe, options).journal.record(5, eventBytes(5), true);
  const cost = probe.totalWritten;
  let requeuedSeen = 0;
  for (let k = 0; k <= cost; k++) {
    const st = base.clone();
    const { journal: j } = Journal.open(st, options);
    st.cutPowerAfter(k);
    t.throws(() => j.record(5, eventBytes(5), true), { instanceOf: PowerCut });
    st.powerOn();
    const { journal: again, report } = Journal.open(st, options);
    const logged = again.log.lastSeq() === 5;
    requeuedSeen += report.requeued;
    t.deepEqual(again.log.entries().map((e) => e.seq), logged ? [1, 2, 3, 4, 5] : [1, 2, 3, 4], `cut at ${k}`);
    t.deepEqual(outboxSeqs(again), logged ? [2, 3, 4, 5] : [2, 3, 4], `cut at ${k}: the outbox matches the log`);
    t.like(verifyChain(again.log.export()), { ok: true });
    t.deepEqual(again.record(6, eventBytes(6), false), { dropped: [] }, `cut at ${k}: recording goes on`);
  }
  t.true(requeuedSeen > 0, 'some cuts fell between the log and the outbox, and the event was queued again');
});

test('an outbox file lost whole: the log refills it, the drop policy applies, alarms first', (t) => {
  const st = new MemoryStorage();
  const { journal } = Journal.open(st, options);
  for (const s of range(1, 30)) {
    journal.record(s, eventBytes(s), isAlarm(s));
    journal.outbox.ack(s);
  }
  for (const name of st.names()) if (name.startsWith('outbox')) st.remove(name);
  const { journal: again, report } = Journal.open(st, options);
  t.is(again.log.size(), 23, 'segments of 7: 8…30 kept');
  t.is(report.requeued, 23, 'every logged event the outbox never took');
  t.deepEqual(outboxSeqs(again), [10, 15, 20, 25, 27, 28, 29, 30], 'all five alarms and the newest others, up to capacity 8');
  t.is(report.dropped.length, 23 - 8);
  t.false(report.dropped.some(isAlarm), 'no alarm was dropped');
});

test('torn tails in log and outbox are counted in one report', (t) => {
  const st = new MemoryStorage();
  const { journal } = Journal.open(st, options);
  for (const s of range(1, 7)) journal.record(s, eventBytes(s), false);
  st.append('log.0', new Uint8Array([9, 0, 0, 0, 2, 1, 2])); // a torn event record
  st.append('outbox.0', new Uint8Array([1, 2, 3, 4, 5])); // the outbox's segment
  const { journal: again, report } = Journal.open(st, options);
  t.like(report, { bytesCut: 12, recordsKept: 14, segments: 1, requeued: 0 });
  t.deepEqual(report.problems, ['log.0: 7 bytes after the last valid record cut', 'outbox.0: 5 bytes after the last valid record cut']);
  t.is(again.lastSeq(), 7);
});

test('end to end: alarms recorded, the outbox compacted, the panel rebooted, the outbox overfilled: no alarm dropped', (t) => {
  const st = new MemoryStorage();
  let replaces = 0;
  const spy = Object.assign(Object.create(st) as MemoryStorage, {
    replace: (n: string, b: Uint8Array) => { if (n.startsWith('outbox')) replaces++; st.replace(n, b); },
  });
  const opts: JournalOptions = { log: { capacity: 40, segments: 4 }, outbox: { capacity: 8, compactAt: 300 } };
  const { journal } = Journal.open(spy, opts);
  const alarms: number[] = [];
  for (const s of range(1, 30)) {
    journal.record(s, eventBytes(s), isAlarm(s));
    if (isAlarm(s)) alarms.push(s);
    else journal.outbox.ack(s); // the broker takes the ordinary events, the alarms stay unacknowledged
  }
  t.true(replaces > 0, 'the outbox was compacted with the alarms waiting');
  t.deepEqual(outboxSeqs(journal), alarms);
  // Reboot, then a long outage: far more events than the outbox holds.
  const { journal: again } = Journal.open(st, opts);
  t.is(again.outbox.alarms(), alarms.length);
  const dropped: number[] = [];
  for (const s of range(31, 80)) {
    dropped.push(...again.record(s, eventBytes(s), isAlarm(s)).dropped);
    if (isAlarm(s)) alarms.push(s);
  }
  t.true(dropped.length > 0, 'the outbox overflowed');
  t.false(dropped.some(isAlarm), 'only ordinary events were dropped');
  const waiting = outboxSeqs(again);
  t.deepEqual(waiting.filter(isAlarm), alarms, 'every alarm still waits for the broker, in order');
  const { journal: third } = Journal.open(st, opts);
  t.deepEqual(outboxSeqs(third), waiting, 'and a second reboot finds the same');
});
