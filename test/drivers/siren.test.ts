// Siren properties: off at boot whatever came before, and never sounding past its cap.
import test from 'ava';
import fc from 'fast-check';
import { Siren, type SirenPattern } from '../../drivers/siren/siren.ts';
import { Bench } from './bench.ts';

const PIN = 25;

test('from the instant the pin opens the siren is off (initialValue), whatever the pin held and however it is wired', (t) => {
  fc.assert(fc.property(fc.constantFrom<0 | 1>(0, 1), fc.boolean(), (before, activeLow) => {
    const bench = new Bench();
    bench.board.set(PIN, before);
    const siren = new Siren(bench.pins, bench.clock, { pin: PIN, activeLow }, {});
    const off = activeLow ? 1 : 0;
    t.deepEqual(bench.board.writes, [[PIN, off], [PIN, off]], 'opened at the off level, then written off');
    t.false(siren.state().on);
  }));
});

/** Calls the core might make: play a looping pattern or stop, at increasing times. */
const calls = fc.array(fc.tuple(
  fc.integer({ min: 0, max: 400_000 }),
  fc.constantFrom<SirenPattern | 'stop'>('alarm', 'exit_beep', 'entry_beep', 'alarm', 'stop'),
), { minLength: 1, maxLength: 30 });

test('whatever the core asks, the pin is never on at or past maxOnS after a sounding began', (t) => {
  fc.assert(fc.property(calls, fc.integer({ min: 1, max: 900 }), fc.boolean(), (script, maxOnS, activeLow) => {
    const bench = new Bench();
    const siren = bench.add(new Siren(bench.pins, bench.clock, { pin: PIN, activeLow, maxOnS }, bench.events));
    const onLevel = activeLow ? 0 : 1;
    let began: number | undefined; // when the current sounding began, by the rule of the calls alone
    let capped = false;
    let at = 0;
    const check = (now: number) => {
      if (began !== undefined && now >= began + maxOnS * 1000) { began = undefined; capped = true; }
      if (bench.board.level(PIN) === onLevel) t.true(began !== undefined && now < began + maxOnS * 1000, `on at ${now}`);
    };
    for (const [gap, call] of script) {
      // run in small steps so the pin is sampled between deadlines too
      const end = at + gap;
      while (at < end) {
        at = Math.min(end, at + 997);
        bench.runTo(at);
        check(at);
      }
      if (call === 'stop') {
        siren.stop(at);
        began = undefined;
        capped = false;
      } else if (!capped) {
        t.true(siren.play(call, at));
        began ??= at;
      } else {
        t.false(siren.play(call, at), 'refused after the cap until stop');
      }
      check(at);
    }
    bench.runTo(at + 1_000_000);
    t.not(bench.board.level(PIN), onLevel, 'silent in the end');
  }), { numRuns: 150 });
});
