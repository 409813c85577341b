// The portal's handlers inside XS, as on the ESP32: login (and its lockout), bad input, CSRF and
// Origin, a save and the keypad, over a whole panel on simulated hardware.
import { defineScenarios } from '../../hosts/xs/probe';
import { SimHost } from '../../hosts/xs/sim-host';
import { firstBootConfig } from '../../src/config';
import { createPortal } from '../../src/portal/portal';
import type { PortalRequest, PortalResponse } from '../../src/portal/http';
import { fromUtf8, utf8 } from '../../src/text';

const ORIGIN = 'http://192.168.4.1';

function boot() {
  const host = new SimHost({ wallStart: 1_790_000_000 });
  const first = firstBootConfig('xs1', (n) => host.randomBytes(n));
  const panel = host.open(first.config);
  host.runTo(panel, 1000);
  return { host, first, panel, handler: createPortal(panel, host, { names: () => ['192.168.4.1'] }) };
}

function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): PortalRequest {
  const bytes = body === undefined ? new Uint8Array(0) : body instanceof Uint8Array ? body : utf8(typeof body === 'string' ? body : JSON.stringify(body));
  const base: Record<string, string> = { host: '192.168.4.1' };
  if (method !== 'GET') { base.origin = ORIGIN; base['content-type'] = 'application/json'; }
  const all: Record<string, string> = {};
  for (const k of Object.keys(base)) all[k] = base[k];
  for (const k of Object.keys(headers)) all[k] = headers[k];
  return { method, path, headers: all, body: bytes };
}

const read = (r: PortalResponse) => JSON.parse(fromUtf8(r.body));
const errs = (r: PortalResponse) => (read(r).errors as Array<{ field: string; message: string }>).map((e) => `${e.field}: ${e.message}`);

function login(handler: (r: PortalRequest) => PortalResponse, code: string) {
  const r = handler(req('POST', '/api/login', { code }));
  const cookie = (r.headers['set-cookie'] ?? '').split(';')[0];
  return { status: r.status, headers: { cookie, 'x-csrf-token': r.status === 200 ? read(r).csrf : '' } };
}

export default defineScenarios('portal', {
  'login: a wrong code is refused, the right one opens a session; the page carries its CSRF token': (t) => {
    const { handler, first } = boot();
    const page = handler(req('GET', '/'));
    t.is(page.status, 200, 'the page');
    t.ok(page.body.length < 24 * 1024, 'under 24 KB');
    t.ok(fromUtf8(page.body).indexOf('data-csrf=""') > 0, 'no token without a session');
    const wrong = handler(req('POST', '/api/login', { code: first.installerCode === '0000' ? '1111' : '0000' }));
    t.is(wrong.status, 401, 'wrong code');
    t.log('wrong', errs(wrong));
    t.is(handler(req('GET', '/api/config')).status, 401, 'config needs a login');
    const s = login(handler, first.installerCode);
    t.is(s.status, 200, 'right code');
    t.log('session', s.headers);
    t.ok(fromUtf8(handler(req('GET', '/', undefined, s.headers)).body).indexOf(`data-csrf="${s.headers['x-csrf-token']}"`) > 0, 'token in the page');
    t.is(handler(req('GET', '/api/status', undefined, s.headers)).status, 200, 'status with the session');
  },
  'ten wrong installer codes lock every code entry point (461)': (t) => {
    const { handler, first, panel } = boot();
    const statuses: number[] = [];
    // From ten phones: one alone would be held back by the per-client limit first (below).
    for (let i = 0; i < 10; i++) statuses.push(handler({ ...req('POST', '/api/login', { code: '99999999' }), client: `192.168.4.${10 + i}` }).status);
    t.is(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 429], 'statuses');
    t.is(login(handler, first.installerCode).status, 429, 'locked');
    t.is(read(handler(req('POST', '/api/keypad', { action: 'arm_away', code: first.masterCode }))).reason, 'locked_out', 'keypad locked');
    t.ok(panel.events().some((e) => e.code === 461), '461');
  },
  'one client: 3 wrong codes, then it waits (429) before the panel-wide lockout': (t) => {
    const { handler, host, panel } = boot();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(handler({ ...req('POST', '/api/login', { code: '99999999' }), client: '192.168.4.2' }).status);
    t.is(statuses, [401, 401, 401, 429, 429], 'statuses');
    t.is(panel.snapshot().lockout, 0, 'the panel is not locked');
    host.runTo(panel, host.uptimeMs + 30_000);
    t.is(handler({ ...req('POST', '/api/login', { code: '99999999' }), client: '192.168.4.2' }).status, 401, 'after 30 s one more try');
  },
  'bad input: field errors and nothing changes': (t) => {
    const { handler, first, panel } = boot();
    const s = login(handler, first.installerCode);
    const form = read(handler(req('GET', '/api/config', undefined, s.headers))).config;
    const before = JSON.stringify(panel.config());
    form.broker.url = 'mqtt:/broken';
    form.alarm.zones[1].type = 'laser';
    form.pins.siren.pin = 32;
    const r = handler(req('POST', '/api/config', form, s.headers));
    t.is(r.status, 400, 'refused');
    t.log('errors', errs(r));
    for (const body of ['{"v":', new Uint8Array([0x7b, 0xc0, 0xaf, 0x7d]), '[1,2]', new Uint8Array(32 * 1024 + 1)]) {
      const e = handler(req('POST', '/api/config', body, s.headers));
      t.log(`status ${e.status}`, errs(e));
    }
    t.is(JSON.stringify(panel.config()), before, 'config unchanged');
  },
  'CSRF and Origin: changes from elsewhere are 403; the right token saves': (t) => {
    const { handler, first, panel } = boot();
    const s = login(handler, first.installerCode);
    const form = read(handler(req('GET', '/api/config', undefined, s.headers))).config;
    form.alarm.zones[0].name = 'Garage';
    t.is(handler(req('POST', '/api/config', form, { cookie: s.headers.cookie })).status, 403, 'no token');
    t.is(handler(req('POST', '/api/config', form, { cookie: s.headers.cookie, 'x-csrf-token': 'x' })).status, 403, 'wrong token');
    t.is(handler(req('POST', '/api/config', form, { ...s.headers, origin: 'http://evil.example' })).status, 403, 'other origin');
    t.is(panel.config().alarm.zones[0].name, 'Front door', 'unchanged');
    const ok = handler(req('POST', '/api/config', form, s.headers));
    t.is(ok.status, 200, 'saved');
    t.is(panel.config().alarm.zones[0].name, 'Garage', 'applied');
    t.is(panel.snapshot().zones[0].name, 'Garage', 'the core has it');
  },
  'keypad: arm and disarm with a user code, no login': (t) => {
    const { handler, first } = boot();
    t.log('arm', read(handler(req('POST', '/api/keypad', { action: 'arm_home', code: first.masterCode }))));
    t.log('disarm', read(handler(req('POST', '/api/keypad', { action: 'disarm', code: first.masterCode }))));
    t.log('wrong', read(handler(req('POST', '/api/keypad', { action: 'disarm', code: '00000000' }))));
    t.is(handler(req('POST', '/api/keypad', { action: 'disarm', code: 1 })).status, 400, 'malformed');
  },
});
