// The portal in real headless Chromium, served by the Node host's HTTP adapter over a real
// Panel on simulated hardware. One browser for the file; each test gets its own panel, server
// and browser context. A failing test leaves a screenshot in test-results/.
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import http from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { servePortal, type ServedPortal } from '../../hosts/node/http.ts';
import type { PortalHandler } from '../../src/portal/http.ts';
import { launchChromium } from './browser.ts';
import { simPortal } from './support.ts';

interface Ctx { context?: BrowserContext; page?: Page; closers: Array<() => Promise<unknown> | unknown> }
const test = anyTest as TestFn<Ctx>;

let browser: Browser;
test.before(async () => { browser = await launchChromium(); });
test.after.always(async () => { await browser?.close(); });
test.beforeEach((t) => { t.context = { closers: [] }; });
test.afterEach.always(async (t) => {
  if (!t.passed && t.context.page) {
    mkdirSync('test-results', { recursive: true });
    const file = path.join('test-results', `portal-${t.title.replace(/^afterEach.* for /, '').replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
    await t.context.page.screenshot({ path: file, fullPage: true }).catch(() => {});
  }
  for (const close of t.context.closers.reverse()) await close();
});

/** A panel, its portal on a port the OS picks, and a fresh browser page (responses recorded). */
async function open(t: ExecutionContext<Ctx>) {
  const sim = simPortal();
  const seen: Array<{ method: string; path: string; status: number }> = [];
  const handler: PortalHandler = (request) => {
    const response = sim.handler(request);
    seen.push({ method: request.method, path: request.path, status: response.status });
    return response;
  };
  const served = await servePortal(handler);
  t.context.closers.push(() => served.close());
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, acceptDownloads: true });
  t.context.closers.push(() => context.close());
  const page = await context.newPage();
  t.context.context = context;
  t.context.page = page;
  await page.goto(served.url);
  return { ...sim, served, page, context, seen };
}

async function logIn(page: Page, code: string) {
  await page.fill('#lc', code);
  await Promise.all([page.waitForEvent('load'), page.click('#lf button')]);
  await page.waitForSelector('#zt tbody tr');
}

const field = (page: Page, name: string) => page.locator(`[data-f="${name}"]`);
const zoneRow = (page: Page, n: number) => page.locator('#zt tbody tr').nth(n);

/** Waits until an element's text is no longer the "working" text its action put there. */
const settled = (page: Page, selector: string, working: string) =>
  page.waitForFunction(([s, w]) => (globalThis as any).document.querySelector(s).textContent !== w, [selector, working] as const);

/**
 * An import's answer: the page asks to confirm before it shows "Importing…", so the text may
 * still be empty when the file is set; wait for a text that is neither.
 */
const imported = (page: Page) =>
  page.waitForFunction(() => !['', 'Importing…'].includes((globalThis as any).document.querySelector('#ir').textContent));

async function save(page: Page) {
  await page.click('#sv'); // the click sets "Saving…" at once
  await settled(page, '#sm', 'Saving…');
}

test.serial('log in, change the broker and a zone, save: the panel applies it and the page shows it after a reload', async (t) => {
  const { page, panel, first, host } = await open(t);
  t.true(await page.isVisible('#login'));
  t.false(await page.isVisible('#app'), 'only the login form and keypad without a session');
  await logIn(page, first.installerCode);
  t.false(await page.isVisible('#login'));
  await field(page, 'broker.url').fill('mqtt://127.0.0.1:1884');
  await field(page, 'broker.username').fill('panel-7');
  await field(page, 'broker.password').fill('broker-secret-1');
  await field(page, 'broker.version').selectOption('4');
  await zoneRow(page, 0).locator('.nm').fill('Back door');
  await zoneRow(page, 0).locator('.pn').fill('26');
  await zoneRow(page, 0).locator('.w').selectOption('NO');
  await save(page);
  t.is(await page.textContent('#sm'), 'Saved.');
  t.is(await page.textContent('#sm'), 'Saved.');
  const cfg = panel.config();
  t.like(cfg.broker, { url: 'mqtt://127.0.0.1:1884', username: 'panel-7', password: 'broker-secret-1', version: 4 });
  t.is(cfg.alarm.zones[0].name, 'Back door');
  t.like(cfg.pins.doors![0], { zone: 1, pin: 26, wiring: 'NO', tamperPin: 33 });
  t.is(panel.snapshot().zones[0].name, 'Back door');
  t.true(host.lines.includes('portal: config saved'));

  await page.reload();
  await page.waitForSelector('#zt tbody tr');
  t.is(await field(page, 'broker.url').inputValue(), 'mqtt://127.0.0.1:1884');
  t.is(await field(page, 'broker.version').inputValue(), '4');
  t.is(await zoneRow(page, 0).locator('.nm').inputValue(), 'Back door');
  t.is(await zoneRow(page, 0).locator('.pn').inputValue(), '26');
  t.is(await field(page, 'broker.password').inputValue(), '', 'the password is not sent back');
  t.is(await field(page, 'broker.password').getAttribute('placeholder'), 'set: empty keeps it');
  t.false((await page.content()).includes('broker-secret-1'));
  await page.waitForSelector('#st dt');
  t.regex((await page.textContent('#zs')) ?? '', /1 Back door: closed/);

  // Remove a secret, add a zone and drop another, in one save.
  await page.check('[data-rm="broker.password"]');
  await page.click('#za');
  const added = zoneRow(page, 2);
  t.is(await added.locator('.n').inputValue(), '3');
  await added.locator('.nm').fill('Garage');
  await added.locator('.ty').selectOption('delayed');
  await added.locator('.pn').fill('14');
  await zoneRow(page, 1).locator('.x').click();
  await save(page);
  t.is(await page.textContent('#sm'), 'Saved.');
  const after = panel.config();
  t.is(after.broker.password, undefined, 'removed');
  t.is(after.broker.username, 'panel-7', 'the rest kept');
  t.deepEqual(after.alarm.zones.map((z) => `${z.number} ${z.name} ${z.type}`), ['1 Back door delayed', '3 Garage delayed']);
  t.deepEqual(after.pins.doors!.map((d) => `${d.zone}@${d.pin}`), ['1@26', '3@14']);
  t.deepEqual(after.pins.motion, []);
  t.is(await field(page, 'broker.password').getAttribute('placeholder'), 'not set');
});

test.serial('bad inputs show their field errors and change nothing', async (t) => {
  const { page, panel, first, host } = await open(t);
  await logIn(page, first.installerCode);
  const before = JSON.stringify(panel.config());
  const flash = host.storage.totalWritten;
  await field(page, 'broker.url').fill('http://not-mqtt');
  await field(page, 'wifi.password').fill('short');
  await zoneRow(page, 1).locator('.nm').fill('');
  await page.locator('[data-f="alarm.timers.armed_away.entryDelay"]').fill('99');
  await page.locator('#ut tbody tr').nth(0).locator('.c').fill('12');
  await save(page);
  await page.waitForSelector('.fe');
  const errorOf = async (locator: ReturnType<typeof field>) => (await locator.locator('xpath=..').locator('.fe').textContent()) ?? '';
  t.regex(await errorOf(field(page, 'broker.url')), /must look like mqtt:\/\/host:1883/);
  t.regex(await errorOf(field(page, 'wifi.password')), /8–63 characters/);
  t.regex(await errorOf(zoneRow(page, 1).locator('.nm')), /non-empty/);
  t.regex(await errorOf(page.locator('[data-f="alarm.timers.armed_away.entryDelay"]')), /between 0 and 45/);
  t.regex(await errorOf(page.locator('#ut tbody tr').nth(0).locator('.c')), /4 to 8 digits/);
  t.is(await field(page, 'broker.url').getAttribute('aria-invalid'), 'true');
  t.regex((await page.textContent('#ce')) ?? '', /Nothing was saved\. 5 problem\(s\), marked below\./);
  t.is(await page.textContent('#sm'), 'Not saved.');
  t.is(JSON.stringify(panel.config()), before, 'the config is unchanged');
  t.is(host.storage.totalWritten, flash, 'not a byte written');
  // A conflict between two fields lands on the second one.
  await page.reload();
  await page.waitForSelector('#zt tbody tr');
  await field(page, 'pins.siren.pin').fill('27');
  await save(page);
  await page.waitForSelector('.fe');
  t.regex(await errorOf(zoneRow(page, 1).locator('.pn')), /GPIO 27 is used twice/);
  t.is(JSON.stringify(panel.config()), before);
});

/** A plain Node request with whatever headers a test wants. */
function raw(url: string, method: string, pathName: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request(`${url}${pathName}`, { method, headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    r.on('error', reject);
    r.end(body);
  });
}

test.serial('nothing works without a login, and Origin and CSRF checks hold (page fetch, another origin, raw requests)', async (t) => {
  const { page, panel, first, served, context, seen } = await open(t);
  const before = JSON.stringify(panel.config());
  const fetchStatus = (p: string, init: RequestInit = {}) => page.evaluate(async ([p, init]) => (await fetch(p, init)).status, [p, init] as const);
  const body = JSON.stringify({ v: 1 });
  t.is(await fetchStatus('/api/config'), 401);
  t.is(await fetchStatus('/api/status'), 401);
  t.is(await fetchStatus('/api/config/export'), 401);
  t.is(await fetchStatus('/api/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 401);
  t.is(await fetchStatus('/api/remote-key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":1}' }), 401);

  await logIn(page, first.installerCode);
  const csrf: string = await page.evaluate(() => (globalThis as any).document.documentElement.dataset.csrf);
  t.regex(csrf, /^[A-Za-z0-9_-]{43}$/);
  const cookies = await context.cookies();
  t.like(cookies[0], { name: 'portal', httpOnly: true, sameSite: 'Strict' });
  t.is(await page.evaluate(() => (globalThis as any).document.cookie), '', 'the script cannot read the session cookie');
  const view: any = await page.evaluate(async () => (await fetch('/api/config')).json());
  view.config.panel.name = 'Renamed';
  const form = JSON.stringify(view.config);
  t.is(await fetchStatus('/api/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body: form }), 403, 'no CSRF token');
  t.is(await fetchStatus('/api/config', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' }, body: form }), 403, 'a forged token');
  t.is(JSON.stringify(panel.config()), before);

  // Another origin on the same machine (same site: the cookie does go along) tries its luck.
  const evil = await servePortal(() => ({
    status: 200, headers: { 'content-type': 'text/html' },
    body: new TextEncoder().encode(`<form id=f method=post action="${served.url}/api/keypad" enctype="text/plain"><input name='{"action":"arm_away","code":"${first.masterCode}","x":"' value='"}'></form>
      <script>fetch("${served.url}/api/config",{method:"POST",mode:"no-cors",credentials:"include",headers:{"content-type":"text/plain"},body:${JSON.stringify(form)}}).finally(()=>f.submit())</script>`),
  }));
  t.context.closers.push(() => evil.close());
  const attacker = await context.newPage();
  const cross = seen.length;
  await Promise.all([attacker.waitForURL(`${served.url}/api/keypad`), attacker.goto(evil.url)]);
  const attempts = seen.slice(cross).filter((s) => s.method === 'POST'); // the logged-in page keeps polling meanwhile
  t.deepEqual(attempts.map((s) => `${s.method} ${s.path} ${s.status}`), ['POST /api/config 403', 'POST /api/keypad 403']);
  t.is(panel.snapshot().mode, 'disarmed');
  t.is(JSON.stringify(panel.config()), before);

  // Raw requests with the browser's own session cookie.
  const cookie = `portal=${cookies[0].value}`;
  const host = new URL(served.url).host;
  const json = { 'content-type': 'application/json' };
  t.is(await raw(served.url, 'POST', '/api/config', { ...json, cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' }, form), 403, 'a foreign Origin');
  t.is(await raw(served.url, 'POST', '/api/config', { ...json, cookie, 'x-csrf-token': csrf }, form), 403, 'no Origin or Referer');
  t.is(await raw(served.url, 'POST', '/api/config', { ...json, cookie, origin: `http://${host}` }, form), 403, 'no CSRF token');
  t.is(await raw(served.url, 'POST', '/api/config', { ...json, 'x-csrf-token': csrf, origin: `http://${host}` }, form), 401, 'no cookie');
  t.is(JSON.stringify(panel.config()), before, 'nothing changed');
  t.is(await raw(served.url, 'POST', '/api/config', { ...json, cookie, 'x-csrf-token': csrf, origin: `http://${host}` }, form), 200, 'all three: saved');
  t.is(panel.config().panel.name, 'Renamed');

  // Logging out ends the session for the page and for anyone holding the cookie.
  await Promise.all([page.waitForEvent('load'), page.click('#out')]);
  t.true(await page.isVisible('#login'));
  t.is(await raw(served.url, 'GET', '/api/status', { cookie }), 401);
});

test.serial('the keypad arms and disarms with a user code, holds back a device after 3 wrong codes, and shows the lockout', async (t) => {
  const { page, panel, first } = await open(t);
  const press = async (code: string, action: string) => {
    await page.fill('#kc', code);
    await page.click(`[data-a="${action}"]`); // the click sets "…" at once
    await settled(page, '#km', '…');
    return (await page.textContent('#km')) ?? '';
  };
  t.is(await press(first.masterCode, 'arm_away'), 'Done: Arming.');
  t.regex((await page.textContent('#mode')) ?? '', /^Arming · 30 s$/);
  t.is(panel.snapshot().mode, 'arming');
  t.is(await press(first.masterCode, 'disarm'), 'Done: Disarmed.');
  t.is(panel.snapshot().mode, 'disarmed');
  t.is(await page.inputValue('#kc'), '', 'the code field is cleared');
  const wrong = first.masterCode === '000000' ? '111111' : '000000';
  for (let i = 0; i < 3; i++) t.is(await press(wrong, 'arm_away'), 'Wrong code.');
  t.regex(await press(wrong, 'arm_away'), /Too many wrong codes from this device: try again in 30 s/);
  t.regex(await press(first.masterCode, 'disarm'), /from this device/, 'this device waits, even with the right code');
  t.is(panel.snapshot().lockout, 0, 'one device alone does not lock the panel');
  // The wall keypad takes it to the tenth wrong code in a row: the page shows the panel-wide lockout.
  for (let i = 0; i < 7; i++) panel.keypad('disarm', wrong);
  t.is(panel.snapshot().lockout, 90);
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('#ks').textContent as string).startsWith('Locked'));
  t.is(await page.textContent('#ks'), 'Locked after too many wrong codes: 90 s left');
  t.true(panel.events().some((e) => e.code === 461));
});

test.serial('a key made by monitor keygen is entered on a user\'s row (its --json line works too)', async (t) => {
  const { page, panel, first } = await open(t);
  await logIn(page, first.installerCode);
  const key = 'q3Z9lJdY0uE8r5m-Wn1cXo7tVb2Ka4sHf6gPiL0yT_A';
  page.once('dialog', (d) => d.accept(JSON.stringify({ user: 1, kid: '1', key })));
  await page.locator('#ut tbody tr').first().locator('.ek').click();
  await page.waitForFunction(() => /entered/.test((globalThis as any).document.querySelector('#kb').textContent));
  t.is(await page.textContent('#kb'), 'Key of user 1 entered.');
  t.is(panel.config().remote['1'], key);
  t.false((await page.content()).includes(key), 'the page does not show it');
});

test.serial('users, a remote key shown once, log and config export, and an import', async (t) => {
  const { page, panel, first, host } = await open(t);
  page.on('dialog', (d) => d.accept());
  await logIn(page, first.installerCode);
  await page.click('#ua');
  const row = page.locator('#ut tbody tr').nth(1);
  await row.locator('.nm').fill('Cleaner');
  await row.locator('.ro').selectOption('arm-only');
  await row.locator('.c').fill('4826');
  await save(page);
  t.is(await page.textContent('#sm'), 'Saved.');
  t.like(panel.config().alarm.users[1], { number: 2, name: 'Cleaner', role: 'arm-only' });
  t.true(panel.keypad('arm_away', '4826').ok, 'the new code arms');
  panel.keypad('disarm', first.masterCode);

  await Promise.all([page.waitForSelector('#key'), page.locator('#ut tbody tr').nth(1).locator('.nk').click()]);
  const key = (await page.textContent('#key')) ?? '';
  t.regex(key, /^[A-Za-z0-9_-]{43}$/);
  t.is(panel.config().remote['2'], key);
  await page.reload();
  await page.waitForSelector('#ut tbody tr');
  t.false((await page.content()).includes(key), 'never shown again');
  t.regex((await page.locator('#ut tbody tr').nth(1).textContent()) ?? '', /set/);

  const dir = os.tmpdir();
  const [logDownload] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/api/log/export"]')]);
  const logFile = path.join(dir, `portal-log-${process.pid}.bin`);
  await logDownload.saveAs(logFile);
  t.deepEqual(new Uint8Array(readFileSync(logFile)), panel.exportLog());
  const [cfgDownload] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/api/config/export"]')]);
  t.is(cfgDownload.suggestedFilename(), 'sim1-config.json');
  const cfgFile = path.join(dir, `portal-config-${process.pid}.json`);
  await cfgDownload.saveAs(cfgFile);
  const exported = JSON.parse(readFileSync(cfgFile, 'utf8'));
  t.is(exported.secrets, 'left out');
  t.false(readFileSync(cfgFile, 'utf8').includes(key), 'the export carries no secret');
  t.deepEqual(exported.counters, panel.counters(), 'the command counters travel with the keys');

  exported.config.panel.name = 'Imported panel';
  writeFileSync(cfgFile, JSON.stringify(exported));
  await page.setInputFiles('#im', cfgFile);
  await imported(page);
  t.is(await page.textContent('#ir'), 'Imported and applied.');
  t.is(panel.config().panel.name, 'Imported panel');
  await page.waitForEvent('load'); // an import ends every session: back to the login
  t.true(await page.isVisible('#login'));
  await logIn(page, first.installerCode);
  writeFileSync(cfgFile, '{"v":1,');
  await page.setInputFiles('#im', cfgFile);
  await imported(page);
  t.regex((await page.textContent('#ir')) ?? '', /^Not imported \(nothing changed\): the body is not valid JSON/);
  t.is(panel.config().panel.name, 'Imported panel');
  t.false(host.lines.some((l) => l.includes(key) || l.includes('4826')), 'no secret in the console');
});
