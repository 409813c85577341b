// The siren output under simulated pins: off at boot, its own cap, each pattern's schedule.
import { defineScenarios } from '../../hosts/xs/probe';
import { Siren, sirenHistoryLength, sirenPatterns, type SirenConfig, type SirenPattern } from '../../drivers/siren/siren';
import { Bench } from '../drivers/bench';

const SIREN = 25;
const s = 1000;

function siren(bench: Bench, config: Partial<SirenConfig> = {}): Siren {
  const out = bench.add(new Siren(bench.pins, bench.clock, { pin: SIREN, ...config }, bench.events));
  bench.watch(SIREN);
  return out;
}

export default defineScenarios('drivers: siren', {
  'off at boot, even when the pin was high': (t) => {
    const bench = new Bench();
    bench.board.set(SIREN, 1); // left high by whatever ran before the reset
    const out = siren(bench);
    t.is(bench.board.writes, [[SIREN, 0], [SIREN, 0]], 'opened low (initialValue), then written low');
    t.is(bench.board.level(SIREN), 0, 'the pin is low');
    t.is(out.state(), { on: false, level: 0, pattern: 'off', since: 0, capped: false }, 'state: off');
    t.is(out.nextDeadline(), undefined, 'nothing scheduled');
  },

  'active-low: off at boot is high, and the alarm drives it low': (t) => {
    const bench = new Bench();
    bench.board.set(SIREN, 0);
    const out = siren(bench, { activeLow: true });
    t.is(bench.board.writes, [[SIREN, 1], [SIREN, 1]], 'opened at 1 (off, initialValue), then written 1: never low before the alarm');
    bench.at(1000, () => out.play('alarm', 1000));
    t.is(bench.board.level(SIREN), 0, 'sounding: low');
    t.is(out.state().on, true, 'on');
    bench.at(2000, () => out.stop(2000));
    t.is(bench.board.level(SIREN), 1, 'stopped: high again');
  },

  'told alarm and never told to stop, the siren goes off exactly at its cap': (t) => {
    const bench = new Bench();
    const out = siren(bench); // default cap: 900 s
    bench.at(1000, () => out.play('alarm', 1000));
    t.is(out.nextDeadline(), 901_000, 'the cap is the next deadline');
    bench.runTo(900_999);
    t.is(bench.board.level(SIREN), 1, 'still sounding 1 ms before the cap');
    bench.runTo(2_000_000);
    t.is(bench.trace, ['0 GPIO 25 = 0', '1000 GPIO 25 = 1', '901000 GPIO 25 = 0'], 'on at 1 s, off at 901 s');
    t.is(bench.take(), ['901000 siren cut off at its cap'], 'the cut-off is reported');
    t.is(out.state(), { on: false, level: 0, pattern: 'off', since: 901_000, capped: true }, 'state: capped');
  },

  'a lower cap is enforced the same way': (t) => {
    const bench = new Bench();
    const out = siren(bench, { maxOnS: 120 });
    bench.at(0, () => out.play('alarm', 0));
    bench.runTo(500 * s);
    t.is(bench.trace, ['0 GPIO 25 = 0', '0 GPIO 25 = 1', '120000 GPIO 25 = 0'], 'off at 120 s');
  },

  'after the cap the siren refuses to sound until stop() acknowledges it': (t) => {
    const bench = new Bench();
    const out = siren(bench, { maxOnS: 60 });
    bench.at(0, () => out.play('alarm', 0));
    bench.runTo(60 * s);
    let played = true;
    bench.at(61 * s, () => { played = out.play('alarm', 61 * s); });
    t.is(played, false, 'play is refused');
    t.is(bench.board.level(SIREN), 0, 'and the siren stays off');
    bench.at(62 * s, () => out.stop(62 * s));
    bench.at(63 * s, () => { played = out.play('alarm', 63 * s); });
    t.is(played, true, 'after stop, a new alarm sounds');
    bench.runTo(200 * s);
    t.is(bench.trace.slice(-2), ['63000 GPIO 25 = 1', '123000 GPIO 25 = 0'], 'and is capped again, 60 s later');
  },

  'switching patterns or replaying alarm does not restart the cap': (t) => {
    const bench = new Bench();
    const out = siren(bench, { maxOnS: 120 });
    bench.at(0, () => out.play('entry_beep', 0));
    bench.at(30 * s, () => out.play('alarm', 30 * s));
    bench.at(100 * s, () => out.play('alarm', 100 * s));
    t.is(out.state().since, 30 * s, 'replaying alarm keeps it going');
    bench.runTo(300 * s);
    t.is(bench.take(), ['120000 siren cut off at its cap'], 'cut 120 s after the sounding began, not after the alarm began');
  },

  'each pattern plays its on/off schedule': (t) => {
    const expected: Record<SirenPattern, string[]> = {
      alarm: ['1000 on'],
      chirp_arm: ['1000 on', '1150 off'],
      chirp_disarm: ['1000 on', '1150 off', '1300 on', '1450 off'],
      chime: ['1000 on', '1400 off'],
      exit_beep: ['1000 on', '1150 off', '2000 on', '2150 off', '3000 on', '3150 off', '4000 on'],
      entry_beep: ['1000 on', '1150 off', '1500 on', '1650 off', '2000 on', '2150 off', '2500 on', '2650 off',
        '3000 on', '3150 off', '3500 on', '3650 off', '4000 on'],
      warning: ['1000 on', '1100 off', '1200 on', '1300 off', '1400 on', '1500 off', '1600 on', '1700 off'],
    };
    for (const pattern of Object.keys(sirenPatterns) as SirenPattern[]) {
      const bench = new Bench();
      const out = siren(bench);
      bench.at(1000, () => out.play(pattern, 1000));
      bench.runTo(4000);
      const seen = bench.trace.slice(1).map((line) => line.replace(/ GPIO 25 = 1$/, ' on').replace(/ GPIO 25 = 0$/, ' off'));
      t.is(seen, expected[pattern], `${pattern}: the pin follows the schedule`);
      t.is(out.history.map((h) => `${h.at} ${h.on ? 'on' : 'off'}`), expected[pattern], `${pattern}: and so does the record`);
    }
  },

  'one-shot patterns end by themselves; looping ones run until stop': (t) => {
    const bench = new Bench();
    const out = siren(bench);
    bench.at(0, () => out.play('chirp_disarm', 0));
    bench.runTo(10 * s);
    t.is(out.state(), { on: false, level: 0, pattern: 'off', since: 450, capped: false }, 'chirps end at 450 ms');
    t.is(out.nextDeadline(), undefined, 'nothing left to do');
    bench.at(20 * s, () => out.play('exit_beep', 20 * s));
    bench.runTo(50 * s);
    t.is(out.state().pattern, 'exit_beep', 'exit beeps go on while the exit delay runs');
    bench.at(50_100, () => out.stop(50_100));
    t.is(out.state(), { on: false, level: 0, pattern: 'off', since: 50_100, capped: false }, 'until stopped');
    t.is(bench.board.level(SIREN), 0, 'pin low');
  },

  'a late poll keeps the rhythm: only the write is late': (t) => {
    const bench = new Bench();
    const out = siren(bench);
    bench.at(0, () => out.play('exit_beep', 0));
    bench.pollAt(2300); // the host slept through two beeps
    t.is(out.state().on, false, 'at 2.3 s the beep of 2 s is already over');
    t.is(out.nextDeadline(), 3000, 'the next beep is still at 3 s');
    bench.pollAt(3000);
    t.is(out.state().on, true, 'on at 3 s');
  },

  'a chirp during the exit beeps ends the sounding; replaying a looping pattern does not restart it': (t) => {
    const bench = new Bench();
    const out = siren(bench);
    bench.at(0, () => out.play('exit_beep', 0));
    bench.at(500, () => out.play('exit_beep', 500));
    t.is(out.nextDeadline(), 1000, 'exit beeps keep their rhythm');
    bench.at(600, () => out.play('chirp_arm', 600));
    bench.runTo(5000);
    t.is(out.history.map((h) => `${h.at} ${h.on ? 'on' : 'off'} ${h.pattern}`),
      ['0 on exit_beep', '150 off exit_beep', '600 on chirp_arm', '750 off off'], 'the arm chirp, then silence');
  },

  'the history keeps the last 64 output changes, oldest first, once more have come': (t) => {
    const bench = new Bench();
    const out = siren(bench);
    bench.at(0, () => out.play('exit_beep', 0));
    bench.runTo(40_000); // a beep a second: 80 changes
    const history = out.history;
    t.is(history.length, sirenHistoryLength, 'full');
    t.is(history.map((h) => `${h.at} ${h.on ? 'on' : 'off'}`).slice(0, 2), ['8150 off', '9000 on'], 'the oldest kept first');
    t.is(history.map((h) => `${h.at} ${h.on ? 'on' : 'off'}`).slice(-2), ['39150 off', '40000 on'], 'the newest last');
    t.ok(history.every((h, i) => i === 0 || h.at > history[i - 1].at), 'in time order');
  },

  'bad siren configs: a clear error, and the pin is held off': (t) => {
    const bench = new Bench();
    bench.board.set(SIREN, 1);
    t.throws(() => siren(bench, { maxOnS: 901 }), /siren\.maxOnS must be from 1 to 900 s/, 'more than the EN bound');
    t.is(bench.board.level(SIREN), 0, 'the pin was driven off before the config was refused');
    const other = new Bench();
    t.throws(() => siren(other, { pin: 25, maxOnS: 0 }), /siren\.maxOnS must be from 1 to 900 s/, 'zero');
    const out = siren(new Bench());
    t.throws(() => out.play('fanfare' as SirenPattern, 0), /unknown siren pattern "fanfare"/, 'unknown pattern');
    t.throws(() => out.play('toString' as SirenPattern, 0), /unknown siren pattern "toString"/, 'not fooled by Object.prototype');
    t.is(out.state().on, false, 'still off');
  },
});
