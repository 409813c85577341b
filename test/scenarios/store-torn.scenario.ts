// The journal under torn writes and power cuts, on the memory storage: the same on Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage';
import { EventLog, verifyChain } from '../../src/store/event-log';
import { Journal } from '../../src/store/journal';
import { PersistentOutbox } from '../../src/store/outbox';
import { StateStore } from '../../src/store/state';
import { readRecords } from '../../src/store/record';

const event = (seq: number) => {
  const out = new Uint8Array(10 + (seq % 7));
  for (let i = 0; i < out.length; i++) out[i] = (seq * 31 + i * 17) & 0xff;
  return out;
};
const small = { capacity: 9, segments: 4 }; // 3 events a segment

function filled(n: number): MemoryStorage {
  const st = new MemoryStorage();
  const { log } = EventLog.open(st, small);
  for (let s = 1; s <= n; s++) log.append(s, event(s));
  return st;
}

const seqs = (log: EventLog) => log.entries().map((e) => e.seq);
const cutAt = (st: MemoryStorage, k: number, act: () => void): boolean => {
  st.cutPowerAfter(k);
  try {
    act();
  } catch (err) {
    if (err instanceof PowerCut) {
      st.powerOn();
      return true;
    }
    throw err;
  }
  return false;
};

/** Cuts the append of `next` at every byte; each reboot must find every earlier record intact. */
function everyOffset(t: Parameters<Parameters<typeof defineScenarios>[1][string]>[0], base: MemoryStorage, next: number, keptBefore: number[]) {
  const probe = base.clone();
  EventLog.open(probe, small).log.append(next, event(next));
  const cost = probe.totalWritten; // a clone counts its own writes from zero
  t.log('bytes this append writes', cost);
  const cuts: number[] = [];
  for (let k = 0; k <= cost; k++) {
    const st = base.clone();
    const { log } = EventLog.open(st, small);
    t.ok(cutAt(st, k, () => log.append(next, event(next))), `cut at ${k} stops the append`);
    const { log: again, report } = EventLog.open(st, small);
    const complete = k === cost;
    t.is(seqs(again), complete ? [...keptBefore, next] : keptBefore, `cut at ${k}: every complete record kept, the torn one gone`);
    t.ok(verifyChain(again.export()).ok, `cut at ${k}: the chain verifies`);
    cuts.push(report.bytesCut);
    again.append(next + 1, event(next + 1));
    t.is(EventLog.open(st, small).log.lastSeq(), next + 1, `cut at ${k}: the log goes on`);
  }
  t.log('bytes cut at each reboot', cuts);
}

export default defineScenarios('store torn writes', {
  'an event record torn at every byte offset': (t) => {
    everyOffset(t, filled(4), 5, [1, 2, 3, 4]);
  },
  'a rotation torn at every byte offset drops the oldest segment whole': (t) => {
    const base = filled(12);
    t.is(base.names(), ['log.0', 'log.1', 'log.2', 'log.3'], 'four full segments');
    everyOffset(t, base, 13, [4, 5, 6, 7, 8, 9, 10, 11, 12]);
  },
  'recovery reports what it cut': (t) => {
    const st = filled(5);
    st.append('log.1', new Uint8Array([40, 0, 0, 0, 2, 9, 9, 9])); // a record cut short
    st.append('log.2', new Uint8Array([1, 2, 3])); // a segment whose header never finished
    const { log, report } = EventLog.open(st, small);
    t.log('report', report);
    t.is(report.bytesCut, 11, 'both tails counted');
    t.is(log.lastSeq(), 5, 'nothing complete lost');
    t.is(st.names(), ['log.0', 'log.1'], 'the headless segment removed');
  },
  'a byte flipped on flash: later records kept, the damage reported': (t) => {
    const st = filled(8);
    const { records } = readRecords(st.read('log.1'));
    st.flip('log.1', records[2].start + 12);
    const { log, report } = EventLog.open(st, small);
    t.is(seqs(log), [1, 2, 3, 4, 6, 7, 8], 'seq 5 unreadable, the rest kept');
    t.log('problems', report.problems);
    const check = verifyChain(log.export());
    t.is(check.ok ? -1 : check.index, 4, 'the export shows the gap at entry 4');
  },
  'recording cut at every byte: the event is in log and outbox, or in neither': (t) => {
    const options = { log: small, outbox: { capacity: 8 } };
    const base = new MemoryStorage();
    const { journal } = Journal.open(base, options);
    for (let s = 1; s <= 4; s++) journal.record(s, event(s), s === 2);
    const probe = base.clone();
    Journal.open(probe, options).journal.record(5, event(5), true);
    const cost = probe.totalWritten; // a clone counts its own writes from zero
    const requeued: number[] = [];
    for (let k = 0; k <= cost; k++) {
      const st = base.clone();
      const { journal: j } = Journal.open(st, options);
      t.ok(cutAt(st, k, () => j.record(5, event(5), true)), `cut at ${k}`);
      const { journal: again, report } = Journal.open(st, options);
      const logged = again.log.lastSeq() === 5;
      t.is(again.outbox.peek(10).map((e) => e.seq), logged ? [1, 2, 3, 4, 5] : [1, 2, 3, 4], `cut at ${k}: outbox matches log`);
      if (report.requeued) requeued.push(k);
    }
    t.log('cuts after which the log refilled the outbox', requeued);
    t.ok(requeued.length > 0, 'some cuts fell between the two writes');
  },
  'a state save cut at every byte leaves the old blob or the new': (t) => {
    const base = new MemoryStorage();
    new StateStore(base).save('core', new Uint8Array([1, 1, 1, 1]));
    const seen: string[] = [];
    for (let k = 0; k <= 9 + 4 + 6; k++) {
      const st = base.clone();
      const state = new StateStore(st);
      t.ok(cutAt(st, k, () => state.save('core', new Uint8Array([2, 2, 2, 2, 2, 2]))), `cut at ${k}`);
      const got = new StateStore(st).load('core');
      seen.push(got.bytes ? got.bytes.join('') : 'none');
    }
    t.log('blob after each cut', seen);
    t.ok(seen.every((s) => s === '1111' || s === '222222'), 'never a mix');
  },
  'an outbox push that starts a new segment, torn at every byte: every earlier entry kept': (t) => {
    const options = { segmentBytes: 1100 };
    const base = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(base, options);
    let seq = 0;
    // Fill segments until the next push would open the fourth one (no ack yet: no cursor file).
    for (;;) {
      const probe = base.clone();
      const p = PersistentOutbox.open(probe, options).outbox;
      p.push(seq + 1, event(seq + 1), (seq + 1) % 4 === 0);
      if (p.files().length > 3) break; // three segments before; a fourth now
      seq++;
      outbox.push(seq, event(seq), seq % 4 === 0);
    }
    t.log('entries in three full segments', seq);
    const probe = base.clone();
    PersistentOutbox.open(probe, options).outbox.push(seq + 1, event(seq + 1), true);
    const cost = probe.totalWritten;
    t.log('bytes the push writes (header + entry)', cost);
    const cuts: number[] = [];
    for (let k = 0; k <= cost; k++) {
      const st = base.clone();
      const { outbox: o } = PersistentOutbox.open(st, options);
      t.ok(cutAt(st, k, () => o.push(seq + 1, event(seq + 1), true)), `cut at ${k}`);
      const { outbox: again, report } = PersistentOutbox.open(st, options);
      const got = again.peek(1000).map((e) => e.seq);
      const complete = k === cost;
      t.is(got.length, complete ? seq + 1 : seq, `cut at ${k}: every earlier entry kept${complete ? ', and the new one' : ''}`);
      t.is(got[got.length - 1], complete ? seq + 1 : seq, `cut at ${k}: the newest`);
      cuts.push(report.bytesCut);
      again.push(seq + 2, event(seq + 2), false);
      t.is(PersistentOutbox.open(st, options).outbox.highestSeq(), seq + 2, `cut at ${k}: the outbox goes on`);
    }
    t.log('bytes cut at each reboot', cuts);
  },
});
