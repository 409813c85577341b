// Record framing: CRC-32, the reader's cut at a torn tail, and its calm on garbage.
import test from 'ava';
import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { FRAME_BYTES, concat, crc32, encodeRecord, readRecords, scanRecords } from '../../src/store/record.ts';

const text = (s: string) => new TextEncoder().encode(s);

test('crc32 gives the standard check value and agrees with zlib', (t) => {
  t.is(crc32(text('123456789')), 0xcbf43926);
  t.is(crc32(new Uint8Array(0)), 0);
  const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (!zcrc) return t.log('node:zlib has no crc32 on this Node; the check value above stands alone');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => crc32(b) === zcrc(b)));
  // Continuing over a second part gives the CRC of the whole.
  t.is(crc32(text('56789'), crc32(text('1234'))), 0xcbf43926);
});

test('a record is length, type, payload and CRC, and reads back', (t) => {
  const r = encodeRecord(7, new Uint8Array([1, 2, 3]));
  t.deepEqual([...r.subarray(0, 8)], [3, 0, 0, 0, 7, 1, 2, 3]);
  t.is(r.length, 3 + FRAME_BYTES);
  const { records, end } = readRecords(concat([r, encodeRecord(9, new Uint8Array(0))]));
  t.is(end, r.length + FRAME_BYTES);
  t.deepEqual(records.map((x) => [x.type, [...x.payload], x.start, x.end]), [[7, [1, 2, 3], 0, 12], [9, [], 12, 21]]);
  t.throws(() => encodeRecord(256, new Uint8Array(0)), { message: /not a byte/ });
});

test('a file cut at every byte offset yields exactly the complete records before the cut', (t) => {
  const recs = [text('first'), text(''), text('the third record'), new Uint8Array(40).fill(0xff)].map((p, i) => encodeRecord(i + 1, p));
  const file = concat(recs);
  const ends = recs.map((_, i) => recs.slice(0, i + 1).reduce((n, r) => n + r.length, 0));
  for (let cut = 0; cut <= file.length; cut++) {
    const { records, end } = readRecords(file.subarray(0, cut));
    const complete = ends.filter((e) => e <= cut);
    t.is(records.length, complete.length, `cut at ${cut}`);
    t.is(end, complete.length ? complete[complete.length - 1] : 0, `valid data ends at the last complete record (cut ${cut})`);
  }
});

test('a flipped bit stops the reader at that record; the scanner steps over it', (t) => {
  const recs = [1, 2, 3].map((i) => encodeRecord(i, text(`record ${i}`)));
  const file = concat(recs);
  for (let at = 0; at < file.length; at++) {
    const bad = file.slice();
    bad[at] ^= 0x10;
    const hit = at < recs[0].length ? 0 : at < recs[0].length * 2 ? 1 : 2;
    const { records, end } = readRecords(bad);
    t.is(records.length, hit, `flip at ${at}: records before it survive`);
    t.is(end, hit * recs[0].length);
    const scan = scanRecords(bad);
    t.deepEqual(scan.records.map((r) => r.type), [1, 2, 3].filter((_, i) => i !== hit), `flip at ${at}: the scanner keeps the others`);
    if (hit < 2) t.deepEqual(scan.skipped, [{ start: hit * recs[0].length, end: (hit + 1) * recs[0].length }]);
    else t.is(scan.end, 2 * recs[0].length, 'damage in the last record is a torn tail');
  }
});

test('garbage never throws and never yields a record that is not really there', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (garbage, prefix) => {
    const good = encodeRecord(1, prefix);
    for (const bytes of [garbage, concat([good, garbage])]) {
      const { records, end } = readRecords(bytes);
      const scan = scanRecords(bytes);
      if (end > bytes.length || scan.end > bytes.length) return false;
      for (const r of [...records, ...scan.records]) {
        if (crc32(bytes.subarray(r.start, r.end - 4)) !== new DataView(bytes.buffer, bytes.byteOffset + r.end - 4, 4).getUint32(0, true)) return false;
      }
    }
    return readRecords(concat([good, garbage])).records.length >= 1;
  }));
  t.pass();
});

test('erased flash (0xff) and zeroed blocks read as nothing', (t) => {
  t.deepEqual(readRecords(new Uint8Array(64).fill(0xff)), { records: [], end: 0 });
  t.deepEqual(readRecords(new Uint8Array(64)), { records: [], end: 0 });
  t.is(scanRecords(new Uint8Array(64)).records.length, 0);
});
