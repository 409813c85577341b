// The door contact under simulated pins: debounce, polarity, tamper loop, boot reading.
import { defineScenarios } from '../../hosts/xs/probe';
import { Door, type DoorConfig } from '../../drivers/door/door';
import { openLevel } from '../../drivers/input';
import { Bench, lcg } from '../drivers/bench';

const DOOR = 32;
const TAMPER = 33;

function door(bench: Bench, config: Partial<DoorConfig> = {}): Door {
  return bench.add(new Door(bench.pins, bench.clock, { zone: 1, pin: DOOR, ...config }, bench.events).start());
}

export default defineScenarios('drivers: door', {
  'the reading at boot is reported when the door opens its pins': (t) => {
    const closed = new Bench();
    closed.board.set(DOOR, 0); // NC reed to GND: closed pulls the pin low
    closed.now = 5;
    const a = door(closed);
    t.is(closed.take(), ['5 zone 1 closed'], 'a closed door reports closed at boot');
    t.is(a.open, false, 'and reads closed');
    const open = new Bench();
    open.now = 7; // nothing pulls the pin low: the pull-up reads 1, the loop is open
    door(open);
    t.is(open.take(), ['7 zone 1 open'], 'an open door reports open at boot');
  },

  'a bounce train reports one change, debounce ms after its last edge': (t) => {
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    const d = door(bench);
    bench.take();
    bench.train(DOOR, [1000, 1003, 1007, 1020, 1021], 1);
    t.is(d.nextDeadline(), 1071, 'the deadline is 50 ms after the last edge');
    bench.pollAt(1070);
    t.is(bench.take(), [], 'nothing at 49 ms of stability');
    t.is(d.open, false, 'still closed');
    bench.runTo(5000);
    t.is(bench.take(), ['1071 zone 1 open'], 'one change, at the last edge + 50 ms');
    t.is(d.nextDeadline(), undefined, 'nothing pending after it');
    bench.train(DOOR, [6000, 6010, 6011], 0);
    bench.runTo(9000);
    t.is(bench.take(), ['6061 zone 1 closed'], 'closing bounces too, and gives one change');
  },

  'bounce trains of many lengths and gaps each give exactly one change': (t) => {
    const rnd = lcg(4);
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    door(bench);
    bench.take();
    let level: 0 | 1 = 0;
    let start = 1000;
    for (const length of [1, 2, 3, 5, 8, 13, 40]) {
      level = level ? 0 : 1;
      const times: number[] = [];
      let at = start;
      for (let i = 0; i < length; i++) {
        times.push(at);
        at += rnd(1, 49); // every gap shorter than the debounce
      }
      bench.train(DOOR, times, level);
      const last = times[times.length - 1];
      bench.runTo(last + 1000);
      const expected = `${last + 50} zone 1 ${level ? 'open' : 'closed'}`;
      t.is(bench.take(), [expected], `${length} edge(s) ending at ${last}: one change at ${last + 50}`);
      start = last + 2000;
    }
  },

  'a glitch shorter than the debounce is no change at all': (t) => {
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    door(bench);
    bench.take();
    bench.train(DOOR, [1000, 1030], 0); // up, and back within 30 ms
    bench.runTo(2000);
    t.is(bench.take(), [], 'no report');
    bench.train(DOOR, [3000, 3049, 3060], 1); // the level returns after 49 ms, then goes for good
    bench.runTo(4000);
    t.is(bench.take(), ['3110 zone 1 open'], 'the change counts from the final edge');
  },

  'a level stable for exactly the debounce time counts': (t) => {
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    door(bench, { debounceMs: 200 });
    bench.take();
    bench.set(DOOR, 1, 1000);
    bench.set(DOOR, 0, 1200); // the poll at 1200 runs before this edge
    bench.runTo(3000);
    t.is(bench.take(), ['1200 zone 1 open', '1400 zone 1 closed'], 'configurable debounce: 200 ms');
  },

  'NC/NO wiring and pull/activeLow set which level is open': (t) => {
    const cases: Array<[Partial<DoorConfig>, string]> = [
      [{}, 'NC reed to GND, pull-up (default)'],
      [{ wiring: 'NO' }, 'NO contact to GND, pull-up'],
      [{ pull: 'down' }, 'NC contact to 3.3 V, pull-down'],
      [{ wiring: 'NO', pull: 'down' }, 'NO contact to 3.3 V, pull-down'],
      [{ pull: 'none', activeLow: true }, 'NC to GND, external pull-up'],
      [{ pull: 'none', activeLow: false, wiring: 'NO' }, 'NO to 3.3 V, external pull-down'],
    ];
    const expected = [1, 0, 0, 1, 1, 1];
    cases.forEach(([config, name], i) => {
      t.is(openLevel(config), expected[i], `${name}: open reads ${expected[i]}`);
      for (const level of [0, 1] as const) {
        const bench = new Bench();
        bench.board.set(DOOR, level);
        const d = door(bench, config);
        t.is(d.open, level === expected[i], `${name}: level ${level} is ${level === expected[i] ? 'open' : 'closed'}`);
      }
    });
  },

  'an NO contact opens the zone when it closes to GND': (t) => {
    const bench = new Bench();
    const d = door(bench, { wiring: 'NO' }); // idle: pull-up, contact open, pin 1
    t.is(bench.take(), ['0 zone 1 closed'], 'boot: closed');
    bench.set(DOOR, 0, 100);
    bench.runTo(1000);
    t.is(bench.take(), ['150 zone 1 open'], 'the contact makes, the zone opens');
    t.is(d.open, true, 'open');
  },

  'the tamper loop is its own pin and reported separately': (t) => {
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    bench.board.set(TAMPER, 0);
    const d = door(bench, { tamperPin: TAMPER });
    t.is(bench.take(), ['0 zone 1 closed', '0 zone 1 tamper closed'], 'both readings at boot');
    bench.train(TAMPER, [1000, 1002, 1005], 1); // the loop is cut
    bench.runTo(2000);
    t.is(bench.take(), ['1055 zone 1 tamper open'], 'a cut loop is tamper, debounced');
    t.is(d.tamper, true, 'tamper is active');
    t.is(d.open, false, 'the contact itself did not change');
    bench.set(DOOR, 1, 2500);
    bench.set(TAMPER, 0, 2500);
    bench.runTo(3000);
    t.is(bench.take(), ['2550 zone 1 open', '2550 zone 1 tamper closed'], 'both change, each reported');
  },

  'the tamper loop is NC even on an NO contact': (t) => {
    const bench = new Bench();
    bench.board.set(TAMPER, 0);
    const d = door(bench, { wiring: 'NO', tamperPin: TAMPER });
    t.is(d.tamper, false, 'a closed loop to GND is no tamper');
    bench.set(TAMPER, 1, 10);
    bench.runTo(100);
    t.is(d.tamper, true, 'an open loop is tamper');
  },

  'a tamper loop at boot that is already cut is reported': (t) => {
    const bench = new Bench();
    bench.board.set(DOOR, 0);
    door(bench, { tamperPin: TAMPER }); // tamper pin left floating: the pull-up reads 1
    t.is(bench.take(), ['0 zone 1 closed', '0 zone 1 tamper open'], 'open loop at boot');
  },

  'a bad door config is refused with a clear error and opens nothing': (t) => {
    const bench = new Bench();
    t.throws(() => door(bench, { debounceMs: -1 }), /door\.debounceMs must be from 0 to 1000 ms/, 'negative debounce');
    t.throws(() => door(bench, { zone: 0 }), /door\.zone must be a zone number from 1 to 255/, 'zone 0');
    t.throws(() => door(bench, { wiring: 'NX' as 'NC' }), /door\.wiring must be "NC" or "NO"/, 'unknown wiring');
    t.is(bench.opened, [], 'no pin was opened');
    t.throws(() => door(bench, { tamperPin: DOOR }), /GPIO 32 is already in use/, 'tamper on the contact pin');
    t.is(door(bench).zone, 1, 'after that failure the contact pin is free again');
  },

  'close releases the pins': (t) => {
    const bench = new Bench();
    const d = door(bench, { tamperPin: TAMPER });
    d.close();
    door(bench, { tamperPin: TAMPER });
    t.is(bench.opened.length, 4, 'both pins opened twice');
  },
});
