// The ESP32-WROOM GPIO table against the datasheet facts, and the esp32 host's pins.ts
// run on Node with the simulated board standing in for embedded:provider/builtin.
import test from 'ava';
import * as esbuild from 'esbuild';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { esp32Pins, esp32PinProblem, esp32SafeInputs } from '../../drivers/esp32-pins.ts';
import { Siren } from '../../drivers/siren/siren.ts';
import { defaultPinConfig } from '../../drivers/config.ts';
import { repoRoot } from '../../tools/build.ts';

// ESP32-WROOM-32 datasheet, written out independently of the module under test.
const facts = {
  flash: [6, 7, 8, 9, 10, 11],
  strapping: [0, 2, 5, 12, 15],
  uart: [1, 3],
  inputOnly: [34, 35, 36, 39],
  absent: [20, 24, 28, 29, 30, 31, 37, 38],
  bootPwm: [14],
};

test('every GPIO 0–39 is classified as the datasheet says', (t) => {
  t.is(esp32Pins.length, 40);
  const kindOf = (g: number) => esp32Pins[g].kind;
  for (const g of facts.flash) t.is(kindOf(g), 'flash', `GPIO ${g}`);
  for (const g of facts.strapping) t.is(kindOf(g), 'strapping', `GPIO ${g}`);
  for (const g of facts.uart) t.is(kindOf(g), 'uart', `GPIO ${g}`);
  for (const g of facts.inputOnly) t.is(kindOf(g), 'input-only', `GPIO ${g}`);
  for (const g of facts.absent) t.is(kindOf(g), 'absent', `GPIO ${g}`);
  const special = new Set(Object.values(facts).flat());
  const safe = esp32Pins.filter((p) => !special.has(p.gpio)).map((p) => p.gpio);
  t.deepEqual(safe, [4, 13, 16, 17, 18, 19, 21, 22, 23, 25, 26, 27, 32, 33]);
  for (const g of safe) t.is(kindOf(g), 'safe', `GPIO ${g}`);
});

test('the default pins are on safe GPIOs', (t) => {
  const used = [defaultPinConfig.siren.pin, ...defaultPinConfig.doors!.flatMap((d) => [d.pin, d.tamperPin!]), ...defaultPinConfig.motion!.map((m) => m.pin)];
  for (const g of used) t.is(esp32Pins[g].kind, 'safe', `GPIO ${g}`);
  t.is(esp32PinProblem(25, { output: true }), undefined);
});

test('no pin is refused without a reason and a way out', (t) => {
  for (const { gpio } of esp32Pins) {
    for (const role of [{ output: true } as const, { pull: 'up' } as const, { pull: 'none' } as const]) {
      const problem = esp32PinProblem(gpio, role);
      if (problem) t.regex(problem, /safe (input|output) GPIOs: [\d, –]+$|set pull "none", or use one of the safe input GPIOs/, `GPIO ${gpio}`);
    }
  }
  t.true(esp32SafeInputs.length >= 14);
});

test('the README table agrees with the rules', (t) => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const rows = readme.split('\n').filter((l) => /^\| GPIO /.test(l));
  t.true(rows.length >= 6, 'the README has the GPIO table');
  for (const row of rows) {
    const [, gpios, inputs, siren] = row.split('|').map((c) => c.trim());
    const numbers = gpios.replace(/^GPIO /, '').split(/,\s*/).flatMap((part) => {
      const [a, b] = part.split('–').map(Number);
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
    for (const g of numbers) {
      t.is(esp32PinProblem(g, { pull: 'up' }) === undefined, inputs.startsWith('yes'), `GPIO ${g}: inputs column "${inputs}"`);
      t.is(esp32PinProblem(g, { output: true }) === undefined, siren.startsWith('yes'), `GPIO ${g}: siren column "${siren}"`);
    }
  }
});

let loads = 0;
/** hosts/esp32/pins.ts bundled with the simulated board as embedded:provider/builtin, as the lin build maps it. */
async function loadEsp32Pins() {
  const sim = path.join(repoRoot, 'hosts/xs/sim-digital.ts');
  const result = await esbuild.build({
    stdin: {
      contents: `export * from './hosts/esp32/pins'; export { default as device } from 'embedded:provider/builtin';`,
      resolveDir: repoRoot, loader: 'ts',
    },
    bundle: true, write: false, format: 'esm', platform: 'neutral',
    plugins: [{
      name: 'builtin-is-sim',
      setup(build) { build.onResolve({ filter: /^embedded:provider\/builtin$/ }, () => ({ path: sim })); },
    }],
  });
  const code = `${result.outputFiles[0].text}\n// load ${++loads}: a fresh module, a fresh board\n`;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

test('hosts/esp32/pins opens the default drivers, siren first and off', async (t) => {
  const { openBoardDrivers, device } = await loadEsp32Pins();
  const board = device.board;
  board.set(25, 1);
  const seen: string[] = [];
  const drivers = openBoardDrivers(defaultPinConfig, { uptime: () => 0 }, {
    onChange: (zone: number, open: boolean) => seen.push(`zone ${zone} ${open ? 'open' : 'closed'}`),
    onTamper: (zone: number, active: boolean) => seen.push(`zone ${zone} tamper ${active}`),
  }).start();
  t.deepEqual(board.writes[0], [25, 0]);
  t.is(board.level(25), 0);
  t.deepEqual(seen, ['zone 1 open', 'zone 1 tamper true', 'zone 2 closed'], 'floating pull-ups read open');
  t.is(drivers.nextDeadline(), 30_000);
});

test('hosts/esp32/pins refuses a strapping pin, touching no pin, and holdSirenOff holds a usable siren pin', async (t) => {
  const { openBoardDrivers, holdSirenOff, device } = await loadEsp32Pins();
  const bad = { ...defaultPinConfig, doors: [{ zone: 1, pin: 12 }] };
  const err = t.throws(() => openBoardDrivers(bad, { uptime: () => 0 }, { onChange() {} }));
  t.is(err?.name, 'PinConfigError');
  t.regex(err!.message, /^bad pin config: doors\[0\]\.pin: GPIO 12 is a strapping pin/);
  t.deepEqual(device.board.writes, []);
  t.is(holdSirenOff(bad), 25);
  t.deepEqual(device.board.writes, [[25, 0], [25, 0]], 'opened low, written low');
  t.is(holdSirenOff({ siren: { pin: 6 } }), undefined, 'a flash pin is never touched');
  t.is(holdSirenOff('nonsense'), undefined);
  t.deepEqual(device.board.writes, [[25, 0], [25, 0]]);
});

test('hosts/esp32/pins: an active-low siren is held high from the instant its pin opens, and the drivers open it high', async (t) => {
  const config = { ...defaultPinConfig, siren: { pin: 25, activeLow: true } };
  const sirenWrites = (board: { writes: Array<[number, number]> }) => board.writes.filter(([pin]) => pin === 25);

  const held = await loadEsp32Pins(); // boot: the hold first, then the siren driver takes the held pin over
  const hold = new held.SirenHold();
  t.is(hold.hold(config), 25);
  t.deepEqual(sirenWrites(held.device.board), [[25, 1], [25, 1]], 'held: opened high, written high');
  new Siren(hold.pins(held.esp32Pins()), { uptime: () => 0 }, config.siren, {});
  t.deepEqual(sirenWrites(held.device.board), [[25, 1], [25, 1], [25, 1]], 'taken over, written high again');

  const fresh = await loadEsp32Pins(); // no hold: the drivers open the pin themselves
  fresh.openBoardDrivers(config, { uptime: () => 0 }, { onChange() {} });
  t.deepEqual(sirenWrites(fresh.device.board), [[25, 1], [25, 1]], 'opened high, written high: never low (sounding)');
});
