// Each board file against its datasheet facts, written out here independently of the tables
// under test (ESP-IDF "GPIO & RTC GPIO" pages per chip; UART0 pins from the chips' datasheets):
// its default pins pass its own rules, and what the other chips allow is refused with a clear
// message where this chip differs.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../tools/build.ts';
import type { Board } from '../../drivers/board.ts';
import { pinConfigProblems, pinUses, type PinConfig } from '../../drivers/config.ts';
import { board as esp32 } from '../../drivers/boards/esp32.ts';
import { board as esp32s3 } from '../../drivers/boards/esp32s3.ts';
import { board as esp32c3 } from '../../drivers/boards/esp32c3.ts';
import { board as current } from '../../drivers/boards/current.ts';

const boards: Board[] = [esp32, esp32s3, esp32c3];
const input = { pull: 'up' } as const;
const output = { output: true } as const;
const withSiren = (b: Board, pin: number): PinConfig => ({ ...b.defaultPins, siren: { ...b.defaultPins.siren, pin } });

test('each board\'s default pins are a good config that its own rules accept, on distinct GPIOs', (t) => {
  for (const b of boards) {
    t.deepEqual(pinConfigProblems(b.defaultPins), [], b.id);
    t.deepEqual(b.pinProblems(b.defaultPins), [], b.id);
    t.true(Object.isFrozen(b) && Object.isFrozen(b.defaultPins) && Object.isFrozen(b.defaultPins.siren), `${b.id}: frozen (preload)`);
    t.is(b.pinProblem(b.setupButtonPin, input)?.startsWith(`GPIO ${b.setupButtonPin} is a strapping pin`), true, `${b.id}: the set-up button is the BOOT strapping pin, read only after boot`);
  }
  t.is(current, esp32, 'on Node the build seam is the ESP32');
  t.deepEqual(boards.map((b) => b.id), ['esp32', 'esp32s3', 'esp32c3']);
});

test('the ESP32\'s defaults are not the S3\'s or the C3\'s: each refuses some of the ESP32 wiring', (t) => {
  const wroomPins = pinUses(esp32.defaultPins).map(([g]) => g); // 25, 32, 33, 27
  t.deepEqual(wroomPins, [25, 32, 33, 27]);
  t.true(esp32s3.pinProblems(esp32.defaultPins).length > 0);
  t.true(esp32c3.pinProblems(esp32.defaultPins).length > 0);
});

test('ESP32-S3: GPIO 25 does not exist, 26–32 (and 33–37) are flash/PSRAM, 19/20 USB, 43/44 UART0, 0/3/45/46 strapping', (t) => {
  t.is(esp32s3.pinProblem(25, output), 'the ESP32-S3 has no GPIO 25. Use one of the safe output GPIOs: 1, 2, 4–18, 21, 38–42, 47, 48');
  t.deepEqual(esp32s3.pinProblems(withSiren(esp32s3, 25)), ['siren.pin: the ESP32-S3 has no GPIO 25. Use one of the safe output GPIOs: 1, 2, 4–18, 21, 38–42, 47, 48']);
  for (const g of [22, 23, 24, 25]) t.regex(esp32s3.pinProblem(g, input) ?? '', new RegExp(`^the ESP32-S3 has no GPIO ${g}\\.`));
  for (let g = 26; g <= 37; g++) t.regex(esp32s3.pinProblem(g, input) ?? '', new RegExp(`^GPIO ${g} cannot be used: GPIO (26–32|33–37) are wired to the (SPI|octal) flash`), `GPIO ${g}`);
  t.is(esp32s3.pinProblem(32, input), 'GPIO 32 cannot be used: GPIO 26–32 are wired to the SPI flash and PSRAM. Use one of the safe input GPIOs: 1, 2, 4–18, 21, 38–42, 47, 48');
  for (const g of [19, 20]) t.regex(esp32s3.pinProblem(g, output) ?? '', new RegExp(`^GPIO ${g} cannot be used: GPIO 19 and 20 are the USB D− and D\\+ lines`));
  for (const g of [43, 44]) t.regex(esp32s3.pinProblem(g, input) ?? '', new RegExp(`^GPIO ${g} cannot be used: it is UART0 (TX|RX)`));
  for (const g of [0, 3, 45, 46]) t.regex(esp32s3.pinProblem(g, output) ?? '', new RegExp(`^GPIO ${g} is a strapping pin: .*The siren stage would disturb the boot`));
  t.is(esp32s3.pinProblem(49, input), 'the ESP32-S3 has GPIO 0–48 only, not 49');
  const free = Array.from({ length: 49 }, (_, g) => g).filter((g) => esp32s3.pinProblem(g, output) === undefined);
  t.deepEqual(free, [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 38, 39, 40, 41, 42, 47, 48]);
});

test('ESP32-C3: GPIO 0–21 only, 2/8/9 strapping, 12–17 flash (and 11 its supply), 18/19 USB, 20/21 UART0', (t) => {
  t.is(esp32c3.pinProblem(25, output), 'the ESP32-C3 has GPIO 0–21 only, not 25');
  t.is(esp32c3.pinProblem(32, input), 'the ESP32-C3 has GPIO 0–21 only, not 32');
  t.is(esp32c3.pinProblem(9, input), 'GPIO 9 is a strapping pin: it selects the boot mode, low at reset means download mode. Not for an input that must be stable at boot; use one of the safe input GPIOs: 0, 1, 3–7, 10');
  for (const g of [2, 8, 9]) t.regex(esp32c3.pinProblem(g, output) ?? '', new RegExp(`^GPIO ${g} is a strapping pin`), `GPIO ${g}`);
  for (let g = 12; g <= 17; g++) t.regex(esp32c3.pinProblem(g, input) ?? '', new RegExp(`^GPIO ${g} cannot be used: GPIO 12–17 are wired to the SPI flash`), `GPIO ${g}`);
  t.regex(esp32c3.pinProblem(11, output) ?? '', /^GPIO 11 cannot be used: it is VDD_SPI/);
  for (const g of [18, 19]) t.regex(esp32c3.pinProblem(g, input) ?? '', /cannot be used: GPIO 18 and 19 are the USB D− and D\+ lines/);
  t.regex(esp32c3.pinProblem(20, input) ?? '', /^GPIO 20 cannot be used: it is UART0 RX/);
  t.regex(esp32c3.pinProblem(21, output) ?? '', /^GPIO 21 cannot be used: it is UART0 TX/);
  const free = Array.from({ length: 22 }, (_, g) => g).filter((g) => esp32c3.pinProblem(g, output) === undefined);
  t.deepEqual(free, [0, 1, 3, 4, 5, 6, 7, 10]);
  const problems = esp32c3.pinProblems({ ...esp32c3.defaultPins, doors: [{ zone: 1, pin: 9 }] });
  t.is(problems.length, 1);
  t.regex(problems[0], /^doors\[0\]\.pin: GPIO 9 is a strapping pin: it selects the boot mode/);
});

test('no board has input-only or boot-PWM pins but the ESP32; the ESP32 messages are those of drivers/esp32-pins', async (t) => {
  const { esp32PinProblem } = await import('../../drivers/esp32-pins.ts');
  for (let g = 0; g < 41; g++) for (const role of [input, output, { pull: 'none' } as const]) t.is(esp32.pinProblem(g, role), esp32PinProblem(g, role));
  for (const b of [esp32s3, esp32c3]) {
    for (let g = 0; g < b.gpioCount; g++) {
      t.false(/input-only|PWM signal during boot/.test(b.pinProblem(g, output) ?? ''), `${b.id} GPIO ${g}`);
    }
  }
});

test('the README\'s S3 and C3 tables agree with the rules', (t) => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  for (const [prefix, b] of [['S3', esp32s3], ['C3', esp32c3]] as const) {
    const rows = readme.split('\n').filter((l) => l.startsWith(`| ${prefix} GPIO `));
    t.true(rows.length >= 5, `the README has the ${prefix} table`);
    const seen = new Set<number>();
    for (const row of rows) {
      const [, gpios, inputs, siren] = row.split('|').map((c) => c.trim());
      for (const part of gpios.replace(`${prefix} GPIO `, '').split(/,\s*/)) {
        const [a, z] = part.split('–').map(Number);
        for (let g = a; g <= (z ?? a); g++) {
          seen.add(g);
          t.is(b.pinProblem(g, input) === undefined, inputs.startsWith('yes'), `${prefix} GPIO ${g}: inputs column "${inputs}"`);
          t.is(b.pinProblem(g, output) === undefined, siren.startsWith('yes'), `${prefix} GPIO ${g}: siren column "${siren}"`);
        }
      }
    }
    t.is(seen.size, b.gpioCount, `${prefix}: every GPIO 0–${b.gpioCount - 1} is in the table once`);
  }
});
