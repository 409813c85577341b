// The PIR under simulated pins: warm-up, hold-off, pulse counting, how long motion stays open.
import { defineScenarios } from '../../hosts/xs/probe';
import { Motion, type MotionConfig } from '../../drivers/pir/pir';
import { Bench } from '../drivers/bench';

const PIR = 27;
const TAMPER = 26;
const s = 1000;

/** A PIR whose NC alarm relay closes to GND at rest (pin 0), opening on motion (pin 1). */
function pir(bench: Bench, config: Partial<MotionConfig> = {}): Motion {
  bench.board.set(PIR, 0);
  return bench.add(new Motion(bench.pins, bench.clock, { zone: 2, pin: PIR, ...config }, bench.events).start());
}

/** One clean PIR pulse: active at `at`, idle again `length` ms later. */
function pulse(bench: Bench, at: number, length = 2 * s): void {
  bench.set(PIR, 1, at);
  bench.set(PIR, 0, at + length);
}

export default defineScenarios('drivers: motion', {
  'pulses during the warm-up are ignored, then motion is detected': (t) => {
    const bench = new Bench();
    bench.now = 100;
    const m = pir(bench); // default warm-up: 30 s
    t.is(bench.take(), ['100 zone 2 closed'], 'boot: closed');
    t.is(m.ready, false, 'warming up');
    t.is(m.nextDeadline(), 30_100, 'the next deadline is the end of the warm-up');
    pulse(bench, 5 * s);
    pulse(bench, 20 * s, 12 * s); // still active when the warm-up ends
    bench.runTo(33 * s);
    t.is(bench.take(), ['30100 zone 2 ready'], 'no detection during the warm-up; the end is reported');
    t.is(m.ready, true, 'ready');
    pulse(bench, 40 * s);
    bench.runTo(60 * s);
    t.is(bench.take(), ['40050 zone 2 open', '42050 zone 2 closed'], 'then a pulse is a detection');
  },

  'a warm-up of 0 s is ready at boot': (t) => {
    const bench = new Bench();
    const m = pir(bench, { warmUpS: 0 });
    t.is(bench.take(), ['0 zone 2 closed', '0 zone 2 ready'], 'ready at once');
    t.is(m.ready, true, 'ready');
  },

  'the zone stays open while the output is active, and at least minOpenS': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, holdOffS: 0, minOpenS: 2 });
    bench.take();
    pulse(bench, 1 * s, 300); // a short relay pulse
    bench.runTo(10 * s);
    t.is(bench.take(), ['1050 zone 2 open', '3050 zone 2 closed'], 'a short pulse holds the zone open 2 s');
    pulse(bench, 20 * s, 9 * s); // someone moving for 9 s
    bench.runTo(40 * s);
    t.is(bench.take(), ['20050 zone 2 open', '29050 zone 2 closed'], 'a long pulse: open until the output drops');
  },

  'after a detection, pulses are ignored for the hold-off': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, holdOffS: 10 });
    bench.take();
    pulse(bench, 1 * s, 1 * s);
    pulse(bench, 5 * s, 1 * s);
    pulse(bench, 10 * s, 1 * s); // settles at 10.05 s: 9 s after the detection
    bench.runTo(12 * s);
    t.is(bench.take(), ['1050 zone 2 open', '3050 zone 2 closed'], 'pulses at 5 s and 10 s fall in the hold-off');
    pulse(bench, 12 * s, 1 * s);
    bench.runTo(20 * s);
    t.is(bench.take(), ['12050 zone 2 open', '14050 zone 2 closed'], 'a pulse after it is a detection');
  },

  'a detection while the zone is still open keeps it open, with no second report': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, holdOffS: 1, minOpenS: 5 });
    bench.take();
    pulse(bench, 1 * s, 300);
    pulse(bench, 3 * s, 300); // after the hold-off, inside the 5 s minimum
    bench.runTo(20 * s);
    t.is(bench.take(), ['1050 zone 2 open', '8050 zone 2 closed'], 'open until 5 s after the second detection');
  },

  'a pulse in the hold-off keeps an open zone open while active, but never opens a closed one': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, holdOffS: 20, minOpenS: 5 });
    bench.take();
    pulse(bench, 1 * s, 1 * s); // detection at 1.05 s, output idle at 2.05 s
    pulse(bench, 4 * s, 4 * s); // in the hold-off, active 4–8 s: the zone is still open then
    pulse(bench, 12 * s, 1 * s); // in the hold-off, the zone closed
    bench.runTo(19 * s);
    t.is(bench.take(), ['1050 zone 2 open', '8050 zone 2 closed'], 'open until that output drops; the later pulse is ignored');
  },

  'pulse counting: n pulses within t seconds are one detection': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, pulses: 3, pulseWindowS: 10, holdOffS: 0, minOpenS: 0 });
    bench.take();
    pulse(bench, 1 * s, 500);
    pulse(bench, 4 * s, 500);
    bench.runTo(8 * s);
    t.is(bench.take(), [], 'two pulses are not enough');
    pulse(bench, 8 * s, 500);
    bench.runTo(9 * s);
    t.is(bench.take(), ['8050 zone 2 open', '8550 zone 2 closed'], 'the third within 10 s is a detection');
  },

  'pulse counting: n-1 pulses are no detection, however long we wait': (t) => {
    const bench = new Bench();
    const m = pir(bench, { warmUpS: 0, pulses: 2, pulseWindowS: 10 });
    bench.take();
    pulse(bench, 1 * s);
    bench.runTo(600 * s);
    t.is(bench.take(), [], 'one pulse, no detection');
    t.is(m.open, false, 'closed');
  },

  'pulse counting: n pulses spread over more than t are no detection': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, pulses: 2, pulseWindowS: 10, holdOffS: 0 });
    bench.take();
    pulse(bench, 1 * s, 500); // counted at 1050
    pulse(bench, 11_100, 500); // counted at 11150: 10.1 s later
    bench.runTo(15 * s);
    t.is(bench.take(), [], 'two pulses 10.1 s apart do not count together');
    pulse(bench, 16 * s, 500); // 4.85 s after the second
    bench.runTo(20 * s);
    t.is(bench.take(), ['16050 zone 2 open', '18050 zone 2 closed'], 'the second and a third within 10 s do');
  },

  'pulse counting: the window is inclusive': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, pulses: 2, pulseWindowS: 10, minOpenS: 0 });
    bench.take();
    pulse(bench, 1 * s, 500);
    pulse(bench, 11 * s, 500); // exactly 10 s later
    bench.runTo(12 * s);
    t.is(bench.take(), ['11050 zone 2 open', '11550 zone 2 closed'], 'n pulses exactly t apart count');
  },

  'pulses during the warm-up do not count toward n': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 30, pulses: 2, pulseWindowS: 10 });
    bench.take();
    pulse(bench, 25 * s, 500);
    bench.runTo(31 * s);
    pulse(bench, 31 * s, 500);
    bench.runTo(40 * s);
    t.is(bench.take(), ['30000 zone 2 ready'], 'one pulse after the warm-up is not two');
  },

  'relay bounce is one pulse, not several': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0, pulses: 2, pulseWindowS: 10 });
    bench.take();
    bench.train(PIR, [1000, 1002, 1004, 1009], 1);
    bench.train(PIR, [3000, 3003], 0);
    bench.runTo(5 * s);
    t.is(bench.take(), [], 'a bouncing relay contact counts once');
  },

  'a 3.3 V PIR output (active high, pull-down) works the same': (t) => {
    const bench = new Bench();
    bench.board.set(PIR, 0);
    bench.add(new Motion(bench.pins, bench.clock, { zone: 4, pin: PIR, wiring: 'NO', pull: 'down', warmUpS: 0 }, bench.events).start());
    t.is(bench.opened, ['GPIO 27 input-pull-down'], 'opened with the pull-down');
    bench.take();
    pulse(bench, 1 * s);
    bench.runTo(5 * s);
    t.is(bench.take(), ['1050 zone 4 open', '3050 zone 4 closed'], 'high on motion');
  },

  'a cut PIR wire reads as motion (NC relay, pull-up): fail-safe': (t) => {
    const bench = new Bench();
    pir(bench, { warmUpS: 0 });
    bench.take();
    bench.set(PIR, 1, 1000); // the wire is cut and stays cut
    bench.runTo(60 * s);
    t.is(bench.take(), ['1050 zone 2 open'], 'the zone opens and stays open');
  },

  'the PIR tamper loop is reported separately': (t) => {
    const bench = new Bench();
    bench.board.set(TAMPER, 0);
    const m = pir(bench, { warmUpS: 0, tamperPin: TAMPER });
    t.is(bench.take(), ['0 zone 2 closed', '0 zone 2 tamper closed', '0 zone 2 ready'], 'boot readings');
    bench.set(TAMPER, 1, 2 * s); // the cover is opened, during... anything
    bench.runTo(3 * s);
    t.is(bench.take(), ['2050 zone 2 tamper open'], 'tamper');
    t.is(m.open, false, 'no motion');
  },

  'tamper is reported during the warm-up too': (t) => {
    const bench = new Bench();
    bench.board.set(TAMPER, 0);
    pir(bench, { tamperPin: TAMPER });
    bench.take();
    bench.set(TAMPER, 1, 2 * s);
    bench.runTo(3 * s);
    t.is(bench.take(), ['2050 zone 2 tamper open'], 'a tamper loop has no warm-up');
  },

  'bad motion configs are refused with clear errors': (t) => {
    const bench = new Bench();
    t.throws(() => pir(bench, { pulses: 0 }), /motion\.pulses must be a whole number from 1 to 10/, 'pulses 0');
    t.throws(() => pir(bench, { warmUpS: 301 }), /motion\.warmUpS must be from 0 to 300 s/, 'warm-up too long');
    t.throws(() => pir(bench, { pulseWindowS: 0, holdOffS: -1 }),
      /motion\.holdOffS must be from 0 to 600 s; motion\.pulseWindowS must be from 1 to 300 s/, 'every problem named');
    t.is(bench.opened, [], 'no pin was opened');
  },
});
