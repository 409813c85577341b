// A panel that records events as fast as it can, on a file journal, until it is killed.
// Prints `open {…}` once, then `recorded SEQ` after each record() (and its ack) has returned.
// Writes to a pipe are synchronous on Linux: a line the parent reads was printed after the fact.
import { FileStorage } from '../../../hosts/node/file-storage.ts';
import { Journal, type JournalOptions } from '../../../src/store/journal.ts';
import { eventBytes, isAlarm } from './events.ts';

export const writerOptions: JournalOptions = { log: { capacity: 50, segments: 4 }, outbox: { capacity: 16, compactAt: 2048 } };

const dir = process.argv[2];
if (dir) {
  const { journal, report } = Journal.open(new FileStorage(dir), writerOptions);
  process.stdout.write(`open ${JSON.stringify({ lastSeq: journal.lastSeq(), bytesCut: report.bytesCut, requeued: report.requeued, problems: report.problems })}\n`);
  const state = new Uint8Array(64);
  for (let seq = journal.lastSeq() + 1; ; seq++) {
    journal.record(seq, eventBytes(seq), isAlarm(seq));
    // Two in flight, as on a live link: the broker acknowledges everything older.
    for (const e of journal.outbox.peek(8)) if (e.seq < seq - 1) journal.outbox.ack(e.seq);
    if (seq % 10 === 0) journal.state.save('core', state.fill(seq & 0xff));
    process.stdout.write(`recorded ${seq}\n`);
  }
}
