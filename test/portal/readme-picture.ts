// Takes the README's picture of the portal (docs/portal.png) in headless Chromium: a panel on
// simulated hardware with a few zones and users, its uplink on an in-memory broker, logged in.
// Run: node --import tsx test/portal/readme-picture.ts
import { SimHost } from '../../hosts/xs/sim-host.ts';
import { servePortal } from '../../hosts/node/http.ts';
import { firstBootConfig, validateConfig } from '../../src/config.ts';
import { makeUser } from '../../src/core/settings.ts';
import { createPortal } from '../../src/portal/portal.ts';
import { LOOPBACK_NAMES } from '../../src/portal/names.ts';
import { newSalt } from '../../src/portal/form.ts';
import { MemoryBroker } from '../support/memory-mqtt.ts';
import { launchChromium } from './browser.ts';

const broker = new MemoryBroker();
const host = new SimHost({ wallStart: 1_790_000_000, connect: broker.connect });
const first = firstBootConfig('home-1', (n) => host.randomBytes(n));
const salt = () => newSalt((n) => host.randomBytes(n));
const raw = structuredClone(first.config) as any;
raw.panel.name = 'Home — hall panel';
raw.wifi = { ssid: 'HomeNet', password: 'correct-horse-battery' };
raw.broker = { ...raw.broker, url: 'mqtts://broker.example.net:8883', username: 'home-1', password: 'broker-password', version: 'auto' };
raw.alarm.zones = [
  { number: 1, name: 'Front door', type: 'delayed', chime: true },
  { number: 2, name: 'Hall motion', type: 'follower' },
  { number: 3, name: 'Back door', type: 'instant', chime: true },
  { number: 4, name: 'Living room', type: 'follower', modes: ['armed_away', 'armed_night'] },
  { number: 5, name: 'Siren box tamper', type: '24h' },
];
raw.pins.doors = [
  { zone: 1, pin: 32, wiring: 'NC', pull: 'up', debounceMs: 50, tamperPin: 33 },
  { zone: 3, pin: 26, wiring: 'NC', pull: 'up', debounceMs: 50 },
  { zone: 5, pin: 14, wiring: 'NC', pull: 'up', debounceMs: 50 },
];
raw.pins.motion = [
  { zone: 2, pin: 27, wiring: 'NC', pull: 'up' },
  { zone: 4, pin: 13, wiring: 'NO', pull: 'up' },
];
raw.alarm.users.push(
  makeUser({ number: 2, name: 'Sam', role: 'user', code: '2468', salt: salt(), duressCode: '8642' }),
  makeUser({ number: 3, name: 'Cleaner', role: 'arm-only', code: '1357', salt: salt() }),
);
const checked = validateConfig(raw);
if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
const panel = host.open(checked.config);
host.runTo(panel, 5_000);
panel.keypad('arm_away', first.masterCode);
host.runTo(panel, 40_000);
panel.keypad('disarm', first.masterCode);
host.set(26, 1); // the back door stands open
host.runTo(panel, 45_000);

const served = await servePortal(createPortal(panel, host, { names: () => LOOPBACK_NAMES }));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1500 }, deviceScaleFactor: 1 });
  await page.goto(served.url);
  await page.fill('#lc', first.installerCode);
  await Promise.all([page.waitForEvent('load'), page.click('#lf button')]);
  await page.waitForSelector('#zt tbody tr');
  await page.waitForSelector('#st dt');
  await page.screenshot({ path: 'docs/portal.png' });
  console.log('docs/portal.png written');
} finally {
  await browser.close();
  await served.close();
}
