// hosts/esp32/main.ts built for the ESP32-S3 and the ESP32-C3, as manifest.json builds them
// (drivers/boards/current → the platform's board file), booted on the virtual ESP32 inside
// real XS and on Node: the board, not a number in hosts/esp32, decides the siren pin held off
// at the first instant, the pins of a first boot, the rules, and the set-up button.
import test from 'ava';
import { bundleEsp32, bootAlike, flashWith, type Boot, type Inputs } from './run.ts';
import { firstBootConfig, type PanelConfig } from '../../src/config.ts';
import { board as esp32s3 } from '../../drivers/boards/esp32s3.ts';
import { board as esp32c3 } from '../../drivers/boards/esp32c3.ts';

const bundles = { esp32s3: bundleEsp32('esp32s3'), esp32c3: bundleEsp32('esp32c3') };
const MAC = 'A4:D1:8C:DB:C0:20';

const run = (t: { deepEqual(a: unknown, b: unknown, m?: string): void }, board: keyof typeof bundles, inputs: Inputs): Promise<Boot> =>
  bootAlike(t, bundles[board], inputs);

test('ESP32-S3 build, no build config: GPIO 7 (its siren) is held off first, the first boot takes the S3 pins and protects; GPIO 25 is never touched', async (t) => {
  const b = await run(t, 'esp32s3', { config: {}, mac: MAC, pins: { 4: 0, 5: 0, 6: 0 }, script: 'look around' });
  t.deepEqual(b.hardware.slice(0, 2), ['0 GPIO 7 opened', '0 GPIO 7 := 0'], 'the board\'s siren pin, before anything else');
  t.true(b.serial.includes('alarm panel dbc020: protecting (boot 1)'), b.serial.join('\n'));
  t.false(b.hardware.some((h) => / GPIO 25 /.test(h)), 'the ESP32\'s siren pin does not exist on the S3');
  for (const gpio of [4, 5, 6]) t.true(b.hardware.some((h) => h.includes(` GPIO ${gpio} opened`)), `GPIO ${gpio} opened`);
});

test('ESP32-S3 build: a saved ESP32 config (siren on GPIO 25) is refused with the S3\'s reason, the siren held off', async (t) => {
  const first = firstBootConfig('home1', (n) => new Uint8Array(n).fill(7)); // the ESP32's default pins
  const b = await run(t, 'esp32s3', { config: {}, mac: MAC, files: flashWith(first.config), pins: {}, script: 'look around' });
  t.true(b.serial.includes('alarm panel home1: NOT PROTECTING: its config cannot be used'), b.serial.join('\n'));
  t.true(b.serial.some((l) => l.includes('siren.pin: the ESP32-S3 has no GPIO 25.')), b.serial.join('\n'));
  t.is(b.result.state.mode, 'setup');
});

test('ESP32-C3 build: the set-up button is GPIO 9 (its BOOT button), held 3 s after boot', async (t) => {
  const first = firstBootConfig('home1', (n) => new Uint8Array(n).fill(7), esp32c3.defaultPins);
  const config: PanelConfig = { ...first.config, wifi: { ssid: 'home', password: 'secret-pass' } };
  const inputs: Inputs = { config: {}, mac: MAC, files: flashWith(config), pins: { 4: 0, 5: 0, 6: 0 }, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'setup button', params: { holdMs: 3500, pin: 9 } };
  const held = await run(t, 'esp32c3', inputs);
  t.is(held.result.state, 'setup');
  t.deepEqual(held.result.button.map((h: string) => h.replace(/^\d+ /, '')), ['GPIO 9 opened', 'GPIO 9 closed']);
  t.deepEqual(held.hardware.slice(0, 2), [`0 GPIO ${esp32c3.defaultPins.siren.pin} opened`, `0 GPIO ${esp32c3.defaultPins.siren.pin} := 0`]);
  t.is(esp32s3.defaultPins.siren.pin, 7);
});
