// The event log's hash chain: the same hashes on Node and XS, tampering found where it is.
import { defineScenarios } from '../../hosts/xs/probe';
import { MemoryStorage } from '../../hosts/xs/memory-storage';
import { EventLog, parseExport, verifyChain } from '../../src/store/event-log';
import { concat, encodeRecord, readRecords } from '../../src/store/record';

const event = (seq: number) => {
  const out = new Uint8Array(10 + (seq % 7));
  for (let i = 0; i < out.length; i++) out[i] = (seq * 31 + i * 17) & 0xff;
  return out;
};

function log(n: number, capacity = 9) {
  const st = new MemoryStorage();
  const { log: l } = EventLog.open(st, { capacity, segments: 4 });
  for (let s = 1; s <= n; s++) l.append(s, event(s), s % 4 === 0);
  return { st, log: l };
}

export default defineScenarios('store hash chain', {
  'an export verifies, with the same hashes on every engine': (t) => {
    const { log: l } = log(6);
    const bytes = l.export();
    t.log('export', bytes);
    t.log('head', l.head());
    const check = verifyChain(bytes);
    t.is(check.ok, true, 'verifies');
    t.is(check.ok && [check.count, check.firstSeq, check.lastSeq], [6, 1, 6], 'six entries, seq 1…6');
    t.is(parseExport(bytes)!.entries.map((e) => e.alarm), [false, false, false, true, false, false], 'alarm flags kept');
  },
  'a flipped byte anywhere in an export is found at its entry': (t) => {
    const bytes = log(5).log.export();
    const { records } = readRecords(bytes);
    let right = 0;
    for (let at = 0; at < bytes.length; at++) {
      const bad = bytes.slice();
      bad[at] ^= 0x80;
      const entry = Math.max(0, records.findIndex((r) => at >= r.start && at < r.end) - 1);
      const check = verifyChain(bad);
      if (!check.ok && check.index === entry) right++;
    }
    t.is(right, bytes.length, `all ${bytes.length} single-byte changes caught at the right entry`);
  },
  'an edit with a fixed CRC breaks the chain at that entry': (t) => {
    const bytes = log(5).log.export();
    const { records } = readRecords(bytes);
    const r = records[3]; // entry 2
    const payload = r.payload.slice();
    payload[payload.length - 1] ^= 1;
    const forged = concat([bytes.subarray(0, r.start), encodeRecord(r.type, payload), bytes.subarray(r.end)]);
    const check = verifyChain(forged);
    t.is(check.ok ? -1 : check.index, 2, 'entry 2');
    t.log('reason', check.ok ? '' : check.reason);
  },
  'over many wraps the ring keeps its capacity and the chain spans dropped segments': (t) => {
    const { st, log: l } = log(100, 30);
    t.is(l.perSegment, 10, 'ten events a segment');
    t.is([l.size(), l.firstSeq(), l.lastSeq()], [40, 61, 100], 'four segments of ten kept');
    t.is(st.names(), ['log.0', 'log.1', 'log.2', 'log.3'], 'never more than four files');
    const again = EventLog.open(st, { capacity: 30, segments: 4 }).log;
    const check = verifyChain(again.export());
    t.is(check.ok && [check.count, check.firstSeq, check.lastSeq], [40, 61, 100], 'the export starts at the oldest kept event and verifies');
    t.log('anchor', parseExport(again.export())!.anchor);
  },
});
