// The panel's names on the ESP32: its id from the Wi-Fi MAC, the set-up access point's SSID.
// Unit checks of hosts/esp32/first-boot.ts, then whole boots on the virtual ESP32 (XS and Node).
import test from 'ava';
import { panelIdFromMac, setupSsid, SSID_MAX } from '../../hosts/esp32/first-boot.ts';
import { firstBootConfig } from '../../src/config.ts';
import { bundleEsp32, bootAlike, flashWith, type Boot, type Inputs } from './run.ts';

const random = (byte: number) => (n: number) => new Uint8Array(n).fill(byte);

test('panel id: the MAC\'s last three bytes; a MAC of all zeros or all ones is no MAC (random id)', (t) => {
  t.is(panelIdFromMac('A4:D1:8C:DB:C0:20', random(1)), 'dbc020');
  t.is(panelIdFromMac(undefined, random(0xab)), 'ababab');
  t.is(panelIdFromMac('00:00:00:00:00:00', random(0xab)), 'ababab', 'all zeros: a failed read');
  t.is(panelIdFromMac('FF:FF:FF:FF:FF:FF', random(0xab)), 'ababab', 'all ones: a failed read');
  t.is(panelIdFromMac('ff:ff:ff:ff:ff:ff', random(0xab)), 'ababab');
  t.is(panelIdFromMac('00:00:00:00:00:01', random(0xab)), '000001', 'a real address with zeros in it is kept');
  t.is(panelIdFromMac('garbage', random(0xcd)), 'cdcdcd');
});

test('set-up SSID: alarm-<id>, at most 32 bytes; a long id keeps its last 26 characters, the same every time', (t) => {
  t.is(setupSsid('dbc020'), 'alarm-dbc020');
  const fits = 'a'.repeat(26);
  t.is(setupSsid(fits), `alarm-${fits}`, '26 characters fit whole');
  const long = 'holiday-home-north-garage-2x-abc'; // 32: the longest id the config takes
  t.is(long.length, 32);
  t.is(setupSsid(long), 'alarm-y-home-north-garage-2x-abc');
  t.is(setupSsid(long), setupSsid(long));
  for (let n = 1; n <= 32; n++) t.true(new TextEncoder().encode(setupSsid('x'.repeat(n))).length <= SSID_MAX, `id of ${n}`);
});

const code = bundleEsp32();
const run = (t: { deepEqual(a: unknown, b: unknown, m?: string): void }, inputs: Inputs): Promise<Boot> => bootAlike(t, code, inputs);
const closed = { 32: 0, 33: 0, 27: 0 } as const;

test('boot with a MAC read as zeros: the panel gets a random id, never "000000"', async (t) => {
  const b = await run(t, { config: { sirenPin: 25 }, mac: '00:00:00:00:00:00', pins: closed, script: 'look around' });
  const first = b.serial.find((l) => l.startsWith('first boot of panel '));
  t.truthy(first, b.serial.join('\n'));
  t.regex(first!, /^first boot of panel [0-9a-f]{6}: /);
  t.notRegex(first!, /panel 000000/);
  t.regex(b.result.accessPoint.ssid, /^alarm-[0-9a-f]{6}$/);
});

test('boot with a 32-character panel id: the set-up access point starts, its SSID within 32 bytes', async (t) => {
  const id = 'holiday-home-north-garage-2x-abc';
  const files = flashWith(firstBootConfig(id, random(7)).config);
  const b = await run(t, { config: { sirenPin: 25 }, mac: 'A4:D1:8C:DB:C0:20', pins: closed, files, script: 'look around' });
  t.true(b.serial.includes(`alarm panel ${id}: protecting (boot 1)`), b.serial.join('\n'));
  t.is(b.result.accessPoint?.ssid, 'alarm-y-home-north-garage-2x-abc', b.serial.join('\n'));
  t.true(b.serial.some((l) => l.includes('join Wi-Fi "alarm-y-home-north-garage-2x-abc"')));
});
