// The pin config and the ESP32-WROOM GPIO rules: what is refused, and how clearly.
import { defineScenarios } from '../../hosts/xs/probe';
import { defaultPinConfig, openDrivers, pinConfigProblems, type PinConfig } from '../../drivers/config';
import { esp32PinProblem, esp32PinProblems, esp32SafeInputs, esp32SafeOutputs, gpioRanges } from '../../drivers/esp32-pins';
import { Bench } from '../drivers/bench';

const clone = (c: PinConfig): PinConfig => JSON.parse(JSON.stringify(c));
/** The default config with one change made by `edit`. */
function edited(edit: (c: PinConfig) => void): PinConfig {
  const c = clone(defaultPinConfig);
  edit(c);
  return c;
}
const problems = (c: unknown) => [...pinConfigProblems(c), ...(pinConfigProblems(c).length ? [] : esp32PinProblems(c as PinConfig))];

export default defineScenarios('drivers: pins', {
  'the default pins are good on an ESP32-WROOM': (t) => {
    t.is(problems(defaultPinConfig), [], 'no problems');
    t.is(gpioRanges(esp32SafeInputs), '4, 13, 14, 16–19, 21–23, 25–27, 32, 33', 'safe inputs');
    t.is(gpioRanges(esp32SafeOutputs), '4, 13, 16–19, 21–23, 25–27, 32, 33', 'safe outputs');
  },

  'flash, UART and absent GPIOs are refused for anything': (t) => {
    for (const gpio of [6, 7, 8, 9, 10, 11]) {
      t.ok(/GPIO \d+ cannot be used: GPIO 6–11 are wired to the SPI flash/.test(esp32PinProblem(gpio, { pull: 'up' }) ?? ''), `GPIO ${gpio}: flash`);
    }
    t.is(problems(edited((c) => { c.doors![0].pin = 1; }))[0]?.slice(0, 76),
      'doors[0].pin: GPIO 1 cannot be used: it is UART0 TX, the serial console used', 'GPIO 1: the serial console');
    t.ok(/the ESP32 has no GPIO 20/.test(problems(edited((c) => { c.doors![0].pin = 20; }))[0]), 'GPIO 20 does not exist');
    t.ok(/GPIO 37 is not brought out on the ESP32-WROOM module/.test(esp32PinProblem(37, { pull: 'none' }) ?? ''), 'GPIO 37');
    t.is(esp32PinProblem(40, { pull: 'up' }), 'the ESP32 has GPIO 0–39 only, not 40', 'GPIO 40');
  },

  'strapping pins are refused for inputs and for the siren': (t) => {
    for (const gpio of [0, 2, 5, 12, 15]) {
      const input = problems(edited((c) => { c.doors![0].pin = gpio; }));
      t.is(input.length, 1, `door on GPIO ${gpio}: one problem`);
      t.ok(input[0].startsWith(`doors[0].pin: GPIO ${gpio} is a strapping pin: `) && input[0].includes('Not for an input that must be stable at boot'),
        `door on GPIO ${gpio}: names the entry and why`);
      const output = problems(edited((c) => { c.siren.pin = gpio; }));
      t.ok(/^siren\.pin: GPIO \d+ is a strapping pin: .*The siren stage would disturb the boot/.test(output[0]), `siren on GPIO ${gpio}`);
    }
    t.log('GPIO 12', esp32PinProblem(12, { pull: 'up' }));
  },

  'input-only pins need pull "none" and an external pull-up, and never take the siren': (t) => {
    const up = problems(edited((c) => { c.doors![0].pin = 34; }));
    t.is(up, ['doors[0].pin: GPIO 34 is input-only and has no internal pull-up: fit an external pull-up resistor (10 kΩ to 3.3 V) and set pull "none", or use one of the safe input GPIOs: 4, 13, 14, 16–19, 21–23, 25–27, 32, 33'],
      'a contact with the internal pull-up on GPIO 34 is refused, saying what to do');
    const tamper = problems(edited((c) => { c.doors![0].tamperPin = 39; }));
    t.ok(tamper[0].startsWith('doors[0].tamperPin: GPIO 39 is input-only and has no internal pull-up'), 'a tamper loop on 39 too');
    const down = problems(edited((c) => { c.motion![0].pin = 35; c.motion![0].pull = 'down'; }));
    t.ok(down[0].startsWith('motion[0].pin: GPIO 35 is input-only and has no internal pull-down'), 'pull-down: same');
    t.is(problems(edited((c) => { c.doors![0].pin = 36; c.doors![0].tamperPin = 39; c.doors![0].pull = 'none'; })), [],
      'with pull "none" (an external resistor) GPIO 36 and 39 are fine');
    t.is(problems(edited((c) => { c.siren.pin = 34; })),
      ['siren.pin: GPIO 34 is input-only: the siren needs an output pin. Use one of the safe output GPIOs: 4, 13, 16–19, 21–23, 25–27, 32, 33'], 'the siren on 34');
  },

  'GPIO 14 (PWM during boot) may take an input but not the siren': (t) => {
    t.is(problems(edited((c) => { c.doors![0].pin = 14; })), [], 'a contact on 14');
    t.ok(/^siren\.pin: GPIO 14 cannot drive the siren: it outputs a PWM signal during boot/.test(problems(edited((c) => { c.siren.pin = 14; }))[0]), 'not the siren');
  },

  'every problem of a config is named at once': (t) => {
    const c = edited((c) => { c.doors![0].pin = 6; c.motion![0].pin = 12; c.siren.pin = 35; });
    const p = problems(c);
    t.is(p.map((line) => line.slice(0, line.indexOf(':'))), ['siren.pin', 'doors[0].pin', 'motion[0].pin'], 'three entries named');
  },

  'malformed configs get specific errors': (t) => {
    t.is(pinConfigProblems(null), ['the pin config must be an object with doors, motion and siren'], 'null');
    t.is(pinConfigProblems({ doors: [] }), ['siren must be an object with a pin'], 'no siren');
    t.is(pinConfigProblems({ siren: { pin: 25 }, doors: {} }), ['doors must be a list'], 'doors not a list');
    t.is(pinConfigProblems({ siren: { pin: 25 }, zones: [] }), ['unknown pin config entry "zones"'], 'a misspelt key');
    t.is(pinConfigProblems({ siren: { pin: '25' }, motion: [7] }),
      ['siren.pin must be a GPIO number', 'motion[0] must be an object with a zone and a pin'], 'wrong types');
    t.is(pinConfigProblems({ siren: { pin: 25 }, doors: [{ zone: 1, pin: 4 }], motion: [{ zone: 1, pin: 5, pulses: 2.5 }] }),
      ['motion[0].pulses must be a whole number from 1 to 10', 'zone 1 is given twice: doors[0] and motion[0]'], 'bad field, duplicate zone');
    t.is(pinConfigProblems({ siren: { pin: 4 }, doors: [{ zone: 1, pin: 4, tamperPin: 13 }, { zone: 2, pin: 13 }] }),
      ['GPIO 4 is used twice: siren.pin and doors[0].pin', 'GPIO 13 is used twice: doors[0].tamperPin and doors[1].pin'], 'a GPIO used twice');
  },

  'openDrivers refuses a bad config before opening any pin': (t) => {
    const bench = new Bench();
    const bad = edited((c) => { c.doors![0].pin = 12; });
    const message = t.throws(() => openDrivers(bench.pins, bench.clock, bad, bench.events, esp32PinProblems), /^bad pin config: doors\[0\]\.pin: GPIO 12 is a strapping pin/, 'refused');
    t.log('message', message);
    t.is(bench.opened, [], 'no pin was opened');
    t.is(bench.board.writes, [], 'nothing was written');
  },

  'openDrivers opens the siren first, driven off, then each input with its boot reading': (t) => {
    const bench = new Bench();
    bench.board.set(25, 1);
    bench.board.set(32, 0);
    bench.board.set(33, 0);
    bench.board.set(27, 0);
    bench.now = 12;
    const drivers = openDrivers(bench.pins, bench.clock, defaultPinConfig, bench.events, esp32PinProblems).start();
    t.is(bench.opened, ['GPIO 25 output', 'GPIO 32 input-pull-up', 'GPIO 33 input-pull-up', 'GPIO 27 input-pull-up'], 'siren first');
    t.is(bench.board.level(25), 0, 'siren off');
    t.is(bench.take(), ['12 zone 1 closed', '12 zone 1 tamper closed', '12 zone 2 closed'], 'boot readings');
    t.is(drivers.nextDeadline(), 30_012, 'the next deadline is the PIR warm-up');
    bench.add(drivers);
    bench.set(32, 1, 1000);
    t.is(drivers.nextDeadline(), 1050, 'an edge brings it forward');
    bench.runTo(31_000);
    t.is(bench.take(), ['1050 zone 1 open', '30012 zone 2 ready'], 'polled together');
    drivers.siren.play('alarm', 31_000);
    drivers.close(31_500);
    t.is(bench.board.level(25), 0, 'close leaves the siren off');
    openDrivers(bench.pins, bench.clock, defaultPinConfig, bench.events).start();
    t.is(bench.opened.length, 8, 'close released every pin: they open again');
  },

  'a pin that fails to open closes the ones already open': (t) => {
    const bench = new Bench();
    const holder = bench.pins({ pin: 27, mode: 'input' }); // something else holds the PIR's GPIO
    t.throws(() => openDrivers(bench.pins, bench.clock, defaultPinConfig, bench.events), /GPIO 27 is already in use/, 'the PIR pin is taken');
    holder.close();
    openDrivers(bench.pins, bench.clock, defaultPinConfig, bench.events).start();
    t.is(bench.board.level(25), 0, 'everything opened again after it, the siren off');
  },
});
