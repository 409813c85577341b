// The persistent outbox: drop policy, order across reboots, compaction. Node and XS alike.
import { defineScenarios } from '../../hosts/xs/probe';
import { MemoryStorage } from '../../hosts/xs/memory-storage';
import { OutboxFull, PersistentOutbox } from '../../src/store/outbox';

const payload = (seq: number) => new Uint8Array([0xa1, 0x00, seq & 0xff]);
const seqs = (o: PersistentOutbox) => o.peek(100).map((e) => e.seq);

export default defineScenarios('store outbox', {
  'full: low-priority entries go oldest first, alarms stay, then the hard cap refuses': (t) => {
    const st = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(st, { capacity: 4, hardCap: 5 });
    const pushes: Array<[number, boolean]> = [[1, false], [2, true], [3, false], [4, true], [5, false], [6, true], [7, true], [8, false], [9, true]];
    for (const [seq, alarm] of pushes) t.log(`push ${seq}${alarm ? ' alarm' : ''} drops`, outbox.push(seq, payload(seq), alarm).dropped);
    t.is(seqs(outbox), [2, 4, 6, 7, 9], 'only alarms left, past capacity');
    const message = t.throws(() => outbox.push(10, payload(10), true), /^outbox full: 5 alarm entries/, 'the hard cap refuses');
    t.ok(message.length > 0, 'with a clear message');
    let caught = '';
    try { outbox.push(10, payload(10), true); } catch (err) { caught = err instanceof OutboxFull ? err.name : 'other'; }
    t.is(caught, 'OutboxFull', 'as an OutboxFull error');
    t.is(seqs(PersistentOutbox.open(st, { capacity: 4, hardCap: 5 }).outbox), [2, 4, 6, 7, 9], 'the same after a reboot');
  },
  'unacknowledged entries come back in order after a reboot': (t) => {
    const st = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(st);
    for (let s = 1; s <= 8; s++) outbox.push(s, payload(s), false);
    for (const s of [1, 2, 5]) outbox.ack(s);
    const { outbox: again, report } = PersistentOutbox.open(st);
    t.log('report', report);
    t.is(seqs(again), [3, 4, 6, 7, 8], 'in order, acknowledged ones gone');
    t.is(again.peek(1)[0].payload, payload(3), 'payload intact');
  },
  'compaction keeps the file small and the entries the same': (t) => {
    const st = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(st, { compactAt: 256 });
    let largest = 0;
    for (let s = 1; s <= 200; s++) {
      outbox.push(s, payload(s), s % 10 === 0);
      if (s > 2) outbox.ack(s - 2);
      largest = Math.max(largest, st.size('outbox.ack'));
    }
    t.log('largest file', largest);
    t.ok(largest < 256 + 64, 'bounded by the threshold');
    t.log('files', st.names());
    t.log('bytes written in all', st.totalWritten);
    t.is(seqs(PersistentOutbox.open(st).outbox), [199, 200], 'a reboot finds what waits');
  },
  '10,000 events wait on flash within 512 KB, come back after a reboot, and leave across segments': (t) => {
    const st = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(st);
    // 27 bytes, as the panel's real events (bench: payload bytes); an alarm every tenth.
    const event = (seq: number) => {
      const out = new Uint8Array(27);
      for (let i = 0; i < out.length; i++) out[i] = (seq * 31 + i * 17) & 0xff;
      return out;
    };
    let dropped = 0;
    for (let s = 1; s <= 10_000; s++) dropped += outbox.push(s, event(s), s % 10 === 0).dropped.length;
    t.is(dropped, 0, 'none dropped');
    t.is(outbox.size(), 10_000, 'all wait');
    const flash = outbox.flashBytes();
    t.log('files, flash bytes', [outbox.files().length, flash]);
    t.ok(flash <= 512 * 1024, 'within 512 KB of 4 KB blocks');
    const { outbox: again, report } = PersistentOutbox.open(st);
    t.log('report', report);
    const all = again.peek(10_000);
    let inOrder = all.length === 10_000;
    for (let i = 0; i < all.length && inOrder; i++) inOrder = all[i].seq === i + 1 && all[i].payload[26] === event(i + 1)[26];
    t.ok(inOrder, 'every entry back, in order, with its payload');
    let acked = 0;
    while (acked < 6_000) for (const e of again.peek(Math.min(32, 6_000 - acked))) { again.ack(e.seq); acked++; }
    t.log('after 6,000 acks: waiting, files', [again.size(), again.files().length]);
    const third = PersistentOutbox.open(st).outbox;
    t.is(third.peek(1)[0].seq, 6_001, 'a reboot resumes after the last ack');
    t.is(third.alarms(), 400, 'the alarms still waiting');
  },
});
