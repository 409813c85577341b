// Set-up mode that repairs (src/portal/repair.ts): with a config that cannot be used, the
// installer still logs in (with the code of the config on flash), sees the problems, and
// imports a fixed config or erases it all; the panel restarts only once the answer is out.
import test from 'ava';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config.ts';
import { hashCode } from '../../src/core/settings.ts';
import { exportDocument } from '../../src/portal/form.ts';
import { createRepairPortal, readableInstaller } from '../../src/portal/repair.ts';
import type { PortalRequest } from '../../src/portal/http.ts';
import { json, text } from './support.ts';
import { esp32PinProblems } from '../../drivers/esp32-pins.ts';

const HOST = '192.168.4.1';
let seed = 7;
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 75 + 74) % 65537) & 0xff);

function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): PortalRequest {
  const base: Record<string, string> = { host: HOST };
  if (method !== 'GET') Object.assign(base, { origin: `http://${HOST}`, 'content-type': 'application/json' });
  return { method, path, headers: { ...base, ...headers }, body: new TextEncoder().encode(body === undefined ? '' : JSON.stringify(body)), client: '192.168.4.2' };
}

/** A config on flash that does not validate (a door on a flash pin), its installer part intact. */
function broken() {
  const first = firstBootConfig('dbc020', randomBytes);
  const raw = JSON.parse(JSON.stringify(first.config));
  raw.pins.doors[0].pin = 6;
  const saved: PanelConfig[] = [];
  let restarts = 0;
  const lines: string[] = [];
  const handler = createRepairPortal({
    panelId: 'dbc020', problems: ['pins.doors[0].pin: GPIO 6 is wired to the flash'], installer: readableInstaller(raw),
    names: () => [HOST], pinRules: esp32PinProblems, randomBytes, uptime: () => 0, log: (l) => lines.push(l),
    save: (c) => saved.push(c), restart: () => restarts++,
  });
  const login = (code: string) => handler(req('POST', '/api/login', { code }));
  const session = () => {
    const r = login(first.installerCode);
    const cookie = r.headers['set-cookie'].split(';')[0];
    return { cookie, 'x-csrf-token': json(r).csrf as string };
  };
  return { first, raw, handler, saved, restarts: () => restarts, login, session, lines };
}

test('the installer logs in with the code on flash and sees the problems; nobody else does', (t) => {
  const { handler, login, session, first } = broken();
  const anon = text(handler(req('GET', '/')).body);
  t.regex(anon, /NOT PROTECTING/);
  t.false(anon.includes('GPIO 6'), 'the problems only after the login');
  t.is(login(first.installerCode === '000000' ? '111111' : '000000').status, 401);
  t.is(handler(req('GET', '/', undefined, { host: 'evil.example' })).status, 421, 'our own names only');
  const s = session();
  t.regex(text(handler(req('GET', '/', undefined, s)).body), /GPIO 6 is wired to the flash/);
  t.is(handler(req('POST', '/api/factory-reset', { erase: true })).status, 401, 'changes need the session');
  t.is(handler(req('POST', '/api/factory-reset', { erase: true }, { cookie: s.cookie })).status, 403, 'and its CSRF token');
});

test('a fixed whole config is saved, then the panel restarts once the answer is out', (t) => {
  const { handler, session, raw, saved, restarts } = broken();
  const fixed = structuredClone(raw);
  fixed.pins.doors[0].pin = 32;
  const bad = handler(req('POST', '/api/config/import', raw, session()));
  t.is(bad.status, 400, 'the broken one again: refused, nothing saved');
  t.is(saved.length, 0);
  const r = handler(req('POST', '/api/config/import', fixed, session()));
  t.is(r.status, 200, text(r.body));
  t.true(json(r).restarting);
  t.is(saved.length, 1);
  t.true(validateConfig(saved[0]).ok);
  t.is(restarts(), 0, 'not before the answer is sent');
  r.after!();
  t.is(restarts(), 1);
});

test('an export (secrets left out) is taken when every user has a code; the installer code on flash is kept', (t) => {
  const { handler, session, raw, saved, first } = broken();
  const fixed = structuredClone(raw);
  fixed.pins.doors[0].pin = 32;
  const doc = exportDocument(fixed as PanelConfig) as { config: { alarm: { users: Array<Record<string, unknown>> } } };
  const noCode = handler(req('POST', '/api/config/import', doc, session()));
  t.is(noCode.status, 400);
  t.deepEqual(json(noCode).errors.map((e: { field: string }) => e.field), ['config.alarm.users[0].code']);
  doc.config.alarm.users[0].code = '482913';
  const r = handler(req('POST', '/api/config/import', doc, session()));
  t.is(r.status, 200, text(r.body));
  t.deepEqual(saved[0].installer, raw.installer, 'the installer code is the one on flash');
  t.is(saved[0].alarm.users[0].codeHash, hashCode('482913', saved[0].alarm.users[0].salt));
  t.not(first.masterCode, '482913');
});

test('a factory reset: new codes shown once to the installer, never on the console; then a restart', (t) => {
  const { handler, session, saved, restarts, lines } = broken();
  const r = handler(req('POST', '/api/factory-reset', { erase: true }, session()));
  t.is(r.status, 200);
  const { installerCode, masterCode } = json(r);
  t.is(saved[0].panel.id, 'dbc020');
  t.is(saved[0].installer.codeHash, hashCode(installerCode, saved[0].installer.salt));
  t.is(saved[0].alarm.users[0].codeHash, hashCode(masterCode, saved[0].alarm.users[0].salt));
  t.false(lines.some((l) => l.includes(installerCode) || l.includes(masterCode)));
  r.after!();
  t.is(restarts(), 1);
});

test('no installer code readable on flash: no login, a factory reset from the set-up network', (t) => {
  const saved: PanelConfig[] = [];
  const handler = createRepairPortal({
    panelId: 'dbc020', problems: ['config: saved config is not readable JSON'], installer: readableInstaller(undefined),
    names: () => [HOST], randomBytes, uptime: () => 0, log: () => {}, save: (c) => saved.push(c), restart: () => {},
  });
  t.regex(text(handler(req('GET', '/')).body), /No installer code is readable/);
  t.is(handler(req('POST', '/api/login', { code: '123456' })).status, 409);
  t.is(handler(req('POST', '/api/factory-reset', { erase: true }, { origin: 'http://evil.example' })).status, 403, 'Origin still checked');
  t.is(handler(req('POST', '/api/factory-reset', { erase: true })).status, 200);
  t.is(saved.length, 1);
});

test('the repair page works in real Chromium under its Content-Security-Policy: log in, see the problems, factory reset', async (t) => {
  const { servePortal } = await import('../../hosts/node/http.ts');
  const { launchChromium } = await import('./browser.ts');
  const { LOOPBACK_NAMES } = await import('../../src/portal/names.ts');
  const first = firstBootConfig('dbc020', randomBytes);
  const saved: PanelConfig[] = [];
  let restarts = 0;
  const handler = createRepairPortal({
    panelId: 'dbc020', problems: ['pins.doors[0].pin: GPIO 6 is wired to the flash'], installer: first.config.installer,
    names: () => LOOPBACK_NAMES, randomBytes, uptime: () => 0, log: () => {}, save: (c) => saved.push(c), restart: () => restarts++,
  });
  const served = await servePortal(handler);
  t.teardown(() => served.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(served.url);
  await page.fill('#lc', first.installerCode);
  await Promise.all([page.waitForEvent('load'), page.click('#lf button')]);
  t.regex((await page.textContent('body')) ?? '', /GPIO 6 is wired to the flash/);
  page.once('dialog', (d) => d.accept());
  await page.click('#fr');
  await page.waitForFunction(() => /Erased/.test((globalThis as any).document.querySelector('#m').textContent));
  t.regex((await page.textContent('#m')) ?? '', /New codes, shown this once: installer \d{6}, master \d{6}/);
  t.is(saved.length, 1);
  t.deepEqual(errors, [], 'no CSP violation nor script error');
  t.is(restarts, 1, 'restarted once the answer was sent');
});
