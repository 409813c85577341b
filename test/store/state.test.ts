// State blobs: atomic saves, corruption detected, the previous good copy used.
import test from 'ava';
import { MemoryStorage, PowerCut } from '../../hosts/xs/memory-storage.ts';
import { StateStore } from '../../src/store/state.ts';

const blob = (n: number, len = 40) => new Uint8Array(len).map((_, i) => (n * 13 + i) & 0xff);
const list = (b: Uint8Array | undefined) => (b ? [...b] : undefined);

test('a blob saved comes back; nothing saved is undefined', (t) => {
  const st = new MemoryStorage();
  const state = new StateStore(st);
  t.deepEqual(state.load('core'), { bytes: undefined, generation: 0, problems: [] });
  t.is(state.save('core', blob(1)), 1);
  t.is(state.save('core', blob(2)), 2);
  t.is(state.save('config', blob(9, 300)), 1);
  const fresh = new StateStore(st);
  t.deepEqual(list(fresh.load('core').bytes), list(blob(2)));
  t.is(fresh.load('core').generation, 2);
  t.deepEqual(list(fresh.load('config').bytes), list(blob(9, 300)));
  t.deepEqual(st.names(), ['config.b', 'core.a', 'core.b']);
  t.throws(() => state.save('../etc', blob(1)), { message: 'state: bad blob name "../etc"' });
});

test('a save cut by the power at any byte leaves the old blob or the new, never a mix', (t) => {
  const base = new MemoryStorage();
  new StateStore(base).save('core', blob(1, 60));
  new StateStore(base).save('core', blob(2, 60));
  for (let k = 0; k <= 50 + 13; k++) { // the saved record: 9 framing + 4 generation + 50
    const st = base.clone();
    const state = new StateStore(st);
    st.cutPowerAfter(k);
    t.throws(() => state.save('core', blob(3, 50)), { instanceOf: PowerCut });
    st.powerOn();
    const got = new StateStore(st).load('core');
    const complete = k >= 50 + 13;
    t.deepEqual(list(got.bytes), list(complete ? blob(3, 50) : blob(2, 60)), `cut at ${k}`);
    t.deepEqual(got.problems, []);
  }
});

test('a corrupt newest copy is reported and the previous good one used; the next save heals it', (t) => {
  const st = new MemoryStorage();
  const state = new StateStore(st);
  state.save('core', blob(1));
  state.save('core', blob(2)); // generation 2 lives in core.a
  st.flip('core.a', 20);
  const fresh = new StateStore(st);
  const got = fresh.load('core');
  t.deepEqual(list(got.bytes), list(blob(1)));
  t.is(got.generation, 1);
  t.deepEqual(got.problems, ['core.a: corrupt (53 bytes fail their CRC or framing)', 'core: using the good copy, generation 1']);
  t.is(fresh.save('core', blob(3)), 2, 'the save overwrites the corrupt copy, not the good one');
  t.deepEqual(new StateStore(st).load('core'), { bytes: blob(3), generation: 2, problems: [] });
  st.flip('core.a', 3);
  st.flip('core.b', 30);
  const none = new StateStore(st).load('core');
  t.is(none.bytes, undefined);
  t.is(none.problems.length, 2);
});
