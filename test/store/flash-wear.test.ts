// Flash wear: bytes written per event stay bounded, whatever the log and outbox already hold.
import test from 'ava';
import { MemoryStorage } from '../../hosts/xs/memory-storage.ts';
import { Journal } from '../../src/store/journal.ts';
import { FRAME_BYTES } from '../../src/store/record.ts';
import { eventBytes, isAlarm } from './support/events.ts';

/**
 * What the journal's records alone take for one event: its log record (frame, seq, flags, hash),
 * its outbox entry (2 + 1 + payload + CRC) and its ack record (frame + seq).
 */
const minimal = (seq: number) => {
  const n = eventBytes(seq).length;
  return (FRAME_BYTES + 25 + n) + (7 + n) + (FRAME_BYTES + 8);
};

function run(events: number, online: boolean) {
  const st = new MemoryStorage();
  const { journal } = Journal.open(st); // the defaults: 1,000+ events in the log, an outbox of 10,000
  let least = 0;
  let worst = 0;
  let tailFrom = 0;
  for (let s = 1; s <= events; s++) {
    if (s === events - 4999) tailFrom = st.totalWritten;
    const before = st.totalWritten;
    // Offline, alarms are rare (one in 50): more would fill the outbox with alarms, as designed.
    journal.record(s, eventBytes(s), online ? isAlarm(s) : s % 50 === 0);
    if (online) journal.outbox.ack(s);
    least += minimal(s);
    worst = Math.max(worst, st.totalWritten - before);
  }
  const logBytes = [...st.written].filter(([n]) => n.startsWith('log.')).reduce((a, [, b]) => a + b, 0);
  return { st, journal, perEvent: st.totalWritten / events, tailPerEvent: (st.totalWritten - tailFrom) / 5000, leastPerEvent: least / events, worst, logPerEvent: logBytes / events };
}

test('online (every event acknowledged): about the bytes of the records themselves, per event', (t) => {
  const { perEvent, leastPerEvent, worst, logPerEvent, journal } = run(4000, true);
  t.log(`online: ${perEvent.toFixed(1)} bytes written per event (records alone: ${leastPerEvent.toFixed(1)}), log ${logPerEvent.toFixed(1)}, worst single event ${worst} bytes`);
  t.true(journal.log.size() >= 1000);
  t.true(perEvent <= 1.1 * leastPerEvent, 'within 10 % of the records themselves');
  t.true(worst < 400, 'no event rewrites a whole file');
});

test('offline (outbox full, dropping): merging segments keeps the amortized cost bounded and flat', (t) => {
  const short = run(20_000, false);
  const long = run(40_000, false);
  for (const [name, r] of [['20,000', short], ['40,000', long]] as const) {
    t.log(`offline, ${name} events: ${r.perEvent.toFixed(1)} bytes per event, ${r.tailPerEvent.toFixed(1)} over the last 5,000 (records alone, no ack: ${(r.leastPerEvent - FRAME_BYTES - 8).toFixed(1)}), worst single event ${r.worst} bytes (a merge)`);
    t.true(r.perEvent <= 2.5 * r.leastPerEvent, 'merges at most add about as much again as the appends');
    t.true(r.worst < 3 * 4096, 'the largest write is a few segments merged, never the whole outbox or the log');
    t.is(r.journal.outbox.size(), 10_000);
    t.true(r.journal.outbox.flashBytes() <= 512 * 1024, `${r.journal.outbox.flashBytes()} bytes of flash`);
  }
  // Alarms are never dropped: 400 then 800 wait, packed into full segments that are not rewritten again.
  t.true(Math.abs(long.tailPerEvent - short.tailPerEvent) / short.tailPerEvent < 0.1, 'the cost per event does not grow with the events stored');
});

test('a log segment file is only ever appended to: bytes written equal its size', (t) => {
  const { st } = run(1500, true);
  for (const name of st.names().filter((n) => n.startsWith('log.'))) {
    t.true(st.written.get(name)! >= st.size(name), name);
  }
  // Across the run every slot was dropped and restarted: the total written to logs equals
  // the bytes of every segment ever begun, with nothing written twice.
  const written = [...st.written].filter(([n]) => n.startsWith('log.')).reduce((a, [, b]) => a + b, 0);
  let records = 0;
  for (let s = 1; s <= 1500; s++) records += FRAME_BYTES + 25 + eventBytes(s).length;
  const segmentsBegun = Math.ceil(1500 / 334);
  t.is(written, records + segmentsBegun * (FRAME_BYTES + 21));
});
