// The memory storage's faults behave as flash does, or the journal tests prove nothing.
import test from 'ava';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';

const b = (...x: number[]) => new Uint8Array(x);

test('a torn append keeps a prefix, then nothing works until power is back', (t) => {
  const st = new MemoryStorage();
  st.append('f', b(1, 2));
  st.tearNextAppend(2);
  t.throws(() => st.append('f', b(3, 4, 5, 6)), { instanceOf: PowerCut, message: 'power cut: append to f torn after 2 of 4 bytes' });
  t.true(st.isOff);
  t.throws(() => st.read('f'), { instanceOf: PowerCut });
  st.powerOn();
  t.deepEqual([...st.read('f')], [1, 2, 3, 4]);
  st.append('f', b(7));
  t.deepEqual([...st.read('f')], [1, 2, 3, 4, 7], 'the tear was for one append only');
});

test('a power cut spans writes; a replace cut short keeps the old file', (t) => {
  const st = new MemoryStorage();
  st.replace('s', b(1, 1, 1));
  st.cutPowerAfter(5);
  st.append('a', b(9, 9, 9));
  t.throws(() => st.replace('s', b(2, 2, 2)), { instanceOf: PowerCut });
  st.powerOn();
  t.deepEqual([...st.read('s')], [1, 1, 1]);
  st.cutPowerAfter(3);
  t.throws(() => st.replace('s', b(2, 2, 2)), { message: 'power cut: the write completed as the power went' });
  st.powerOn();
  t.deepEqual([...st.read('s')], [2, 2, 2], 'complete when the power went: the new file');
});

test('wear is counted per file; a clone copies files, not faults or wear', (t) => {
  const st = new MemoryStorage();
  st.append('a', b(1, 2, 3));
  st.replace('a', b(4));
  st.append('c', b(5));
  t.deepEqual([...st.written], [['a', 4], ['c', 1]]);
  t.is(st.totalWritten, 5);
  const copy = st.clone();
  t.is(copy.totalWritten, 0);
  t.deepEqual(copy.names(), ['a', 'c']);
  copy.flip('a', 0, 0xff);
  t.deepEqual([...copy.read('a')], [0xfb]);
  t.deepEqual([...st.read('a')], [4], 'the original is untouched');
});
