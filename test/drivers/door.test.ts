// Door contact properties over random bounce trains, polarities and host timing.
import test from 'ava';
import fc from 'fast-check';
import { Door } from '../../drivers/door/door.ts';
import type { Wiring, Pull } from '../../drivers/input.ts';
import { Bench } from './bench.ts';

const PIN = 4;

const polarity = fc.record({
  wiring: fc.constantFrom<Wiring>('NC', 'NO'),
  pull: fc.constantFrom<Pull>('up', 'down', 'none'),
  activeLow: fc.option(fc.boolean(), { nil: undefined }),
});

/** Trains of edges; within a train every gap is shorter than the debounce, between trains longer. */
const scene = fc.record({
  debounceMs: fc.integer({ min: 2, max: 200 }),
  start: fc.constantFrom<0 | 1>(0, 1),
  trains: fc.array(fc.record({
    gaps: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 0, maxLength: 30 }),
    pause: fc.double({ min: 1, max: 5, noNaN: true }),
  }), { minLength: 1, maxLength: 8 }),
  polarity,
});

test('every bounce train gives one change debounce ms after its last edge, or none if it ends where it began', (t) => {
  fc.assert(fc.property(scene, ({ debounceMs, start, trains, polarity }) => {
    const bench = new Bench();
    bench.board.set(PIN, start);
    const door = bench.add(new Door(bench.pins, bench.clock, { zone: 3, pin: PIN, debounceMs, ...polarity }, bench.events).start());
    const openAtStart = door.open;
    bench.take();
    let level = start;
    let at = 1000;
    let open = openAtStart;
    const expected: string[] = [];
    for (const { gaps, pause } of trains) {
      const before = level;
      for (const gap of [0, ...gaps]) {
        at += 1 + Math.floor(gap * (debounceMs - 1)); // gaps of 1 to debounce-1 ms
        level = level ? 0 : 1;
        bench.set(PIN, level, at);
      }
      if (level !== before) {
        open = !open;
        expected.push(`${at + debounceMs} zone 3 ${open ? 'open' : 'closed'}`);
      }
      at += Math.ceil(pause * debounceMs) + debounceMs; // the level settles before the next train
    }
    bench.runTo(at + 1);
    t.deepEqual(bench.take(), expected);
    t.is(door.open, open);
  }), { numRuns: 300 });
});

test('a late host reports the change at its poll, once', (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 10_000 }), (debounceMs, late) => {
    const bench = new Bench();
    bench.board.set(PIN, 0);
    const door = bench.add(new Door(bench.pins, bench.clock, { zone: 1, pin: PIN, debounceMs }, bench.events).start());
    bench.take();
    bench.board.set(PIN, 1);
    bench.pollAt(debounceMs + late);
    bench.pollAt(debounceMs + late + 1);
    t.deepEqual(bench.take(), [`${debounceMs + late} zone 1 open`]);
    t.is(door.nextDeadline(), undefined);
  }), { numRuns: 100 });
});

test('a poll before the deadline never reports', (t) => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 500 }), fc.integer({ min: 1, max: 499 }), (debounceMs, early) => {
    fc.pre(early < debounceMs);
    const bench = new Bench();
    bench.board.set(PIN, 0);
    bench.add(new Door(bench.pins, bench.clock, { zone: 1, pin: PIN, debounceMs }, bench.events).start());
    bench.take();
    bench.board.set(PIN, 1);
    bench.pollAt(debounceMs - early);
    t.deepEqual(bench.take(), []);
  }), { numRuns: 100 });
});
