// The ESP32 host (hosts/esp32/main.ts) booted whole on a virtual ESP32: bundled with
// esbuild, its Moddable modules replaced by stand-ins (test/support/fake-moddable/virtual),
// and run inside real XS (xsnap) and on Node. Every boot runs on both; they must agree to
// the byte (serial console, hardware actions, flash, what the script saw). The hardware,
// the radio and the Moddable SDK themselves are not exercised here.
import test from 'ava';
import { bundleEsp32, bootAlike, flashWith, type Boot, type Inputs } from './run.ts';
import { firstBootConfig, type PanelConfig } from '../../src/config.ts';
import { MAX_BODY_BYTES, SMALL_BODY_BYTES } from '../../src/portal/http.ts';
import { AP_PASSWORD_ALPHABET } from '../../hosts/esp32/random.ts';

const code = bundleEsp32();
const MAC = 'A4:D1:8C:DB:C0:20';
/** Every sensor wired and closed: NC door and tamper loop and PIR read 0. */
const closed = { 32: 0, 33: 0, 27: 0 } as const;
const base = { config: { sirenPin: 25 }, mac: MAC, pins: closed };

/** Boots on both engines and insists they agree. */
const run = (t: { deepEqual(a: unknown, b: unknown, m?: string): void }, inputs: Inputs): Promise<Boot> => bootAlike(t, code, inputs);


let counter = 1;
const bytes = (n: number) => Uint8Array.from({ length: n }, () => (counter = (counter * 75 + 74) % 65537) & 0xff);
/** A configured panel on the owner's Wi-Fi ("home"), with a broker that is not there. */
function homePanel(change: (c: PanelConfig) => void = () => {}) {
  const first = firstBootConfig('home1', bytes);
  const config: PanelConfig = { ...first.config, wifi: { ssid: 'home', password: 'secret-pass' }, broker: { ...first.config.broker, url: 'mqtt://192.168.1.10:1883' } };
  change(config);
  return { config, masterCode: first.masterCode, files: flashWith(config) };
}

const passwordLine = /^ {2}set-up Wi-Fi "alarm-dbc020", password: (\S+)$/;

test('first boot: the siren pin first, codes and set-up password printed once, set-up mode with its access point, captive DNS and the portal', async (t) => {
  const first = await run(t, { ...base, script: 'look around' });
  t.deepEqual(first.hardware.slice(0, 2), ['0 GPIO 25 opened', '0 GPIO 25 := 0'], 'the siren output is opened, low, before anything else');
  const flashAt = first.hardware.indexOf('0 flash first used');
  const radioAt = first.hardware.indexOf('0 Wi-Fi mode 1');
  t.true(flashAt > 1 && radioAt > 1, 'flash and radio come after');
  t.is(first.hardware.filter((h) => h === '0 GPIO 25 opened').length, 1, 'the siren driver takes the held pin over: it is never closed and reopened');

  t.regex(first.serial[0], /^first boot of panel dbc020: /);
  const installer = first.serial.find((l) => /^ {2}installer code \(portal login\): \d{6}$/.test(l));
  const master = first.serial.find((l) => /^ {2}master code \(user 1, arms and disarms\): \d{6}$/.test(l));
  const password = first.serial.map((l) => passwordLine.exec(l)?.[1]).find(Boolean);
  t.truthy(installer && master && password, first.serial.join('\n'));
  t.is(password!.length, 12);
  t.true([...password!].every((c) => AP_PASSWORD_ALPHABET.includes(c)), 'no ambiguous characters');

  const r = first.result;
  t.deepEqual(r.accessPoint, { ssid: 'alarm-dbc020', password, auth: 'WPA_WPA2_PSK' }, 'the AP is named after the MAC-derived panel id, with the printed password');
  t.deepEqual(r.dns, ['192.168.4.1', '192.168.4.1', '192.168.4.1'], 'every name answers with the AP address');
  t.deepEqual(r.httpPorts, [80]);
  t.is(r.state.mode, 'setup', 'the portal is served, and knows it is in set-up mode');
  t.is(r.state.panel.mode, 'disarmed', 'the alarm runs in set-up mode');
  t.is(r.siren, 0);

  const second = await run(t, { ...base, files: first.flash, script: 'look around', params: { masterCode: /\d{6}$/.exec(master!)![0] } });
  t.false(second.serial.some((l) => /code|password:/.test(l)), `nothing secret printed again:\n${second.serial.join('\n')}`);
  t.true(second.serial.includes('alarm panel dbc020: protecting (boot 2)'));
  t.is(second.result.accessPoint.password, password, 'the set-up password was kept');
  t.is(second.result.state.panel.boot, 2);
  t.true(second.result.arm.ok, 'the printed master code is the saved one: it arms');
});

test('a build-time AP password (config.apPassword) is used and never printed; a bad one is reported and replaced', async (t) => {
  const fixed = await run(t, { ...base, config: { apPassword: 'front-desk-9' }, script: 'look around' });
  t.is(fixed.result.accessPoint.password, 'front-desk-9');
  t.false(fixed.serial.some((l) => l.includes('front-desk-9')));
  t.true(fixed.serial.includes('  set-up Wi-Fi "alarm-dbc020": its password was set at build time (config.apPassword)'));
  t.false(Object.keys(fixed.flash).some((f) => f.includes('ap-password')));

  const bad = await run(t, { ...base, config: { apPassword: 'short' }, script: 'look around' });
  t.true(bad.serial.includes('build config: config.apPassword must be 8–63 printable ASCII characters; a generated password is used instead'));
  t.regex(bad.result.accessPoint.password, /^[a-z2-9]{12}$/);
});

test('a bad pin config (a door on a flash pin) ends in set-up mode with the siren held off and a clear message, and no restart', async (t) => {
  const { files } = homePanel((c) => { c.pins = { ...c.pins, doors: [{ ...c.pins.doors![0], pin: 6 }] }; });
  const b = await run(t, { ...base, files, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'a minute unusable' });
  t.true(b.serial.includes('alarm panel home1: NOT PROTECTING: its config cannot be used'), b.serial.join('\n'));
  t.true(b.serial.some((l) => /^ {2}bad pin config: doors\[0\]\.pin: GPIO 6 cannot be used: GPIO 6–11 are wired to the SPI flash/.test(l)));
  t.true(b.serial.includes('  siren held off on GPIO 25; fix the config in set-up mode'));
  t.deepEqual(b.hardware.slice(0, 2), ['0 GPIO 25 opened', '0 GPIO 25 := 0']);
  t.false(b.result.sirenEverOn);
  t.is(b.result.siren, 0);
  t.false(b.hardware.some((h) => / GPIO (6|32|33|27) opened/.test(h)), 'no input pin was touched');
  t.is(b.result.accessPoint.ssid, 'alarm-home1');
  t.is(b.result.dns, '192.168.4.1');
  t.deepEqual(b.result.connectRequests, [], 'the owner\'s Wi-Fi is not joined: set-up mode instead');
  t.is(b.result.state.mode, 'setup');
  t.is(b.result.state.panel, null);
  t.regex(b.result.state.problems[0], /^bad pin config: /);
  t.is(b.result.restarts, 0);
});

test('an active-low siren (config.sirenActiveLow): never driven low, its sounding level, from power-on through the drivers opening', async (t) => {
  const { files } = homePanel((c) => { c.pins = { ...c.pins, siren: { ...c.pins.siren, pin: 25, activeLow: true } }; });
  const b = await run(t, { ...base, config: { sirenPin: 25, sirenActiveLow: true }, files, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'look around' });
  t.true(b.serial.includes('alarm panel home1: protecting (boot 1)'), b.serial.join('\n'));
  const siren = b.hardware.filter((h) => / GPIO 25 /.test(h));
  t.deepEqual(siren.slice(0, 2), ['0 GPIO 25 opened', '0 GPIO 25 := 1'], 'opened high (initialValue): off from the first instant');
  t.deepEqual(siren.filter((h) => h.endsWith(':= 0')), [], `never low: ${siren.join(' | ')}`);
  t.is(b.result.siren, 1);
  t.false(b.serial.some((l) => l.startsWith('siren:')), 'build and config agree: nothing to warn about');
});

test('an active-low siren in the config but not in the build: the boot says how to fix the instant it sounds', async (t) => {
  const { files } = homePanel((c) => { c.pins = { ...c.pins, siren: { ...c.pins.siren, pin: 25, activeLow: true } }; });
  const b = await run(t, { ...base, files, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'look around' });
  t.true(b.serial.includes('siren: GPIO 25 is active-low in the config but the build holds it active-high at power-on: set config.sirenActiveLow to true in manifest.json, or it sounds for an instant at every boot'), b.serial.join('\n'));
  t.is(b.result.siren, 1, 'off once the config is read');
});

test('a config that fails validation: siren held off on the build\'s pin, set-up mode, every problem named', async (t) => {
  const { config } = homePanel();
  const files = flashWith({ ...config, v: 2, alarm: { ...config.alarm, timers: { armed_away: { exitDelay: 999 } } } });
  const b = await run(t, { ...base, files, script: 'a minute unusable' });
  t.true(b.serial.includes('alarm panel dbc020: NOT PROTECTING: its config cannot be used'), b.serial.join('\n'));
  t.true(b.serial.includes('  v: must be 1 (this firmware reads config version 1)'));
  t.true(b.serial.some((l) => l.startsWith('  alarm.timers')), 'the alarm settings\' own error is named too');
  t.is(b.result.siren, 0);
  t.false(b.result.sirenEverOn);
  t.is(b.result.accessPoint.ssid, 'alarm-dbc020', 'no usable id in the config: the MAC names it');
  t.is(b.result.restarts, 0);
});

test('Wi-Fi drops while armed: retried with backoff, the door still sounds the siren, the link comes back; SNTP set the wall time', async (t) => {
  const { masterCode, files } = homePanel();
  const epoch = 1_790_000_000;
  const b = await run(t, {
    ...base, files, networks: [{ ssid: 'home', password: 'secret-pass' }], sntp: { epoch },
    script: 'wifi drop while armed', params: { masterCode, password: 'secret-pass' },
  });
  const r = b.result;
  t.deepEqual(r.joined, { connectRequests: 1, ip: '192.168.1.50', clockSets: [epoch + 1] }, 'joined "home", then SNTP set the clock');
  t.true(r.armed.ok);
  t.is(r.duringExit, 'armed_away', 'armed offline');
  t.deepEqual(r.afterEntry, { mode: 'triggered', siren: 1 }, 'a door opening while offline still sounds the siren');
  const retries = b.serial.map((l) => /^Wi-Fi: .*; attempt \d+ in (\d+) s$/.exec(l)?.[1]).filter(Boolean).map(Number);
  t.deepEqual(retries.slice(0, 6), [1, 2, 4, 8, 16, 32], 'backoff doubles');
  const retriesAt: number[] = r.offline.slice(1); // the first request is the one at boot
  t.true(retriesAt[0] > 5000, 'the first retry comes after the drop at 5 s');
  const gaps = retriesAt.slice(1).map((at, i) => at - retriesAt[i]);
  t.true(gaps.length >= 3 && gaps.slice(1).every((g, i) => g > gaps[i]), `attempts spread out: ${gaps}`);
  t.true(b.serial.includes('Wi-Fi: lost "home"'));
  t.is(r.after.ip, '192.168.1.50', 'back on the network once the router returns');
  t.is(r.after.siren, 1, 'still sounding: the siren time has not run out');
  t.true(r.tcpConnects > 0, 'the uplink kept trying its broker');
  const boot305 = r.events.find((e: any) => e.code === 305);
  t.is(boot305.time, null, 'the boot event has no wall time: SNTP had not answered yet');
  const later = r.events.filter((e: any) => e.code === 401 || e.code === 134); // the closing and the burglary, after SNTP
  t.true(later.length === 2 && later.every((e: any) => e.time >= epoch + 3 && e.time < epoch + 100), `events after SNTP carry the wall time: ${JSON.stringify(r.events)}`);
  t.true(later.some((e: any) => e.code === 130 || e.code === 134), 'the burglary is logged');
});

test('SNTP: the first server that answers sets the wall time; a dead one is skipped, an impossible time ignored', async (t) => {
  const { files } = homePanel();
  const inputs = { ...base, files, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'sntp' };
  const skipped = await run(t, { ...inputs, sntp: { epoch: 1_790_000_000, dead: ['pool.ntp.org'] } });
  t.deepEqual(skipped.result.asked, [{ at: 1000, host: 'pool.ntp.org' }, { at: 26_000, host: 'time.cloudflare.com' }]);
  t.deepEqual(skipped.result.clockSets, [1_790_000_026]);
  t.true(Math.abs(skipped.result.wallTime - 1_790_000_060) <= 1, `wall time ${skipped.result.wallTime}: within the whole second SNTP answers in`);
  t.deepEqual(skipped.result.serial, ['time: set from time.cloudflare.com']);

  const wrong = await run(t, { ...inputs, sntp: { epoch: 1000 } });
  t.deepEqual(wrong.result.clockSets, [], 'a clock in 1970 is not believed');
  t.is(wrong.result.wallTime, null, 'events stay without a wall time');
  t.deepEqual(wrong.result.serial, ['time: pool.ntp.org answered an impossible time (1001); ignored']);
});

test('Time.ticks crossing its signed 32-bit wrap does not stretch or cut delays', async (t) => {
  const { masterCode, files } = homePanel((c) => { c.wifi = { ssid: '', password: '' }; });
  const b = await run(t, { ...base, files, ticksAtBoot: 2 ** 31 - 3000, script: 'ticks wrap', params: { masterCode } });
  const r = b.result;
  t.true(r.armed);
  t.true(r.ticksNow < 0, 'the tick counter did wrap');
  t.is(r.afterExit, 'armed_away', 'the exit delay ended');
  t.true(r.entryMs >= 30_000 && r.entryMs <= 31_000, `entry delay ${r.entryMs} ms`);
  t.true(r.soundedMs >= 179_000 && r.soundedMs <= 181_000, `siren time ${r.soundedMs} ms`);
});

test('the set-up button (GPIO 0, read after boot): held 3 s it starts set-up mode; a short press does not', async (t) => {
  const { files } = homePanel();
  const inputs = { ...base, files, networks: [{ ssid: 'home', password: 'secret-pass' }], script: 'setup button' };
  const held = await run(t, { ...inputs, params: { holdMs: 3500 } });
  t.deepEqual(held.result.accessPoint, { ssid: 'alarm-home1', password: held.result.accessPoint.password, auth: 'WPA_WPA2_PSK' });
  t.false(held.result.stationUp, 'the station link is closed');
  t.is(held.result.state, 'setup');
  t.true(held.serial.some((l) => l.startsWith('set-up mode (set-up button held)')));
  t.deepEqual(held.result.button.map((h: string) => h.replace(/^\d+ /, '')), ['GPIO 0 opened', 'GPIO 0 closed']);

  const short = await run(t, { ...inputs, params: { holdMs: 1000 } });
  t.is(short.result.accessPoint, null);
  t.true(short.result.stationUp);
  t.is(short.result.state, 'normal');
});

test('HTTP adapter: lower-case headers, bodies up to the limit, 413 and 400 before the portal, big answers streamed, bad headers dropped, handler errors are 500', async (t) => {
  const b = await run(t, { ...base, script: 'http exchanges' });
  const r = b.result;
  t.is(r.echo.status, 200);
  t.deepEqual(r.echo.json.headers, { host: '192.168.4.1', origin: 'http://192.168.4.1', 'x-mixed-case': 'A', accept: 'text/html, application/json', 'content-length': '5' });
  t.is(r.echo.json.body, '0102030405');
  t.deepEqual([r.echo.json.method, r.echo.json.path], ['POST', '/echo?x=1']);
  t.is(r.tooBig.status, 413);
  t.is(r.tooBig.text, `the body is 40000 bytes; at most ${MAX_BODY_BYTES} are accepted\n`);
  t.is(r.badLength.status, 400);
  t.is(r.atLimit.status, 200);
  t.is(r.atLimit.bodyHexLength, MAX_BODY_BYTES * 2, 'a body of exactly MAX_BODY_BYTES reaches the portal whole');
  t.deepEqual([r.small.status, r.small.framing, r.small.length, r.small.writes], [200, 'length', 100, 2], 'a small answer: headers, then the body in one write');
  t.deepEqual([r.large.status, r.large.framing, r.large.length], [200, 'length', 20_000]);
  t.true(r.large.writes > 4, 'a large answer goes out in pieces that fit the socket');
  t.true(r.large.largeOk, 'and arrives intact');
  t.deepEqual(r.crlf.headers.filter(([n]: string[]) => n.startsWith('x-') || n === 'content-length'), [['x-good', 'yes'], ['content-length', '2']]);
  t.is(r.thrown.status, 500);
  t.is(r.headerBomb.dropped, 'request headers too large');
  t.deepEqual(r.restart, { status: 200, body: '{"restarting":true}', restarts: 1 }, "a response's after (a restart) runs once it is sent");
  const misdirected = 'this panel answers only to its own names and addresses (192.168.4.1)\n';
  const foreignOrigin = 'the request does not come from this portal (Origin)\n';
  t.deepEqual(r.refused, [
    [421, false, misdirected], [421, false, misdirected], [421, false, misdirected], [421, false, misdirected],
    [403, false, foreignOrigin], [403, false, foreignOrigin],
  ], 'another Host is 421 and a change from another origin 403, both before any body is read');
  t.is(r.after, 'setup', 'the server still answers after all that');
  t.deepEqual(r.serial, ['portal: header "x-evil" dropped: it holds a line break', 'portal: GET /throw failed: a bug in a handler']);
});

test('HTTP server: at most 4 connections at once, each closed 10 s after connecting unless its request is whole; small bodies except a config', async (t) => {
  const b = await run(t, { ...base, script: 'slow clients' });
  const r = b.result;
  t.deepEqual(r.atOnce, [false, false, false, false, true, true], 'the fifth and sixth are closed at once');
  t.is(r.whileHeld, 'closed by the server', 'so is a real request while four are held');
  t.deepEqual(r.after9s, r.atOnce, 'the held ones live until their time is up');
  t.deepEqual(r.after10s, Array(6).fill(true), 'then they are closed');
  t.is(r.afterwards, 200, 'and the portal answers again');
  t.deepEqual(r.keypadBig, [413, false, `the body is 2048 bytes; at most ${SMALL_BODY_BYTES} are accepted\n`]);
  t.deepEqual(r.importBig, [200, true]);
  t.deepEqual(r.serial, ['portal: over 4 connections at once: new ones closed (1 so far)']);
});

test('FlashStorage round-trips through the stand-in file module (littlefs semantics)', async (t) => {
  const b = await run(t, { ...base, script: 'flash storage' });
  t.deepEqual(b.result, {
    absent: [0, 0],
    appended: [1, 2, 3, 5],
    size: 4,
    replaced: [8],
    afterCut: [7, 7],
    empty: [0, 0], // an empty file reads as nothing (littlefs's read throws "read past end of file" there)
    afterEmpty: [4],
    removed: 0,
    refusals: ['../etc', 'a.tmp', '', 'x'.repeat(40)].map((n) => `storage: bad file name ${JSON.stringify(n)}`),
    files: ['/scratch/state'],
  });
});
