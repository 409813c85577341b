// The portal's handlers on Node, over a real Panel on SimHost: sessions, Origin/CSRF, the
// config form (secrets kept on the panel), users and keys, export/import, log, keypad.
import test from 'ava';
import { createHash } from 'node:crypto';
import { hashCode, sameHash } from '../../src/core/settings.ts';
import { decodeKey } from '../../src/uplink/keys.ts';
import { loadConfig } from '../../src/app.ts';
import { MAX_BODY_BYTES, type PortalResponse } from '../../src/portal/http.ts';
import { page } from '../../src/portal/page.ts';
import { HOST, ORIGIN, json, login, req, simPortal, text } from './support.ts';

const fingerprint = (storage: { names(): string[]; read(n: string): Uint8Array }) =>
  storage.names().map((n) => `${n}:${Buffer.from(storage.read(n)).toString('hex')}`).join('|');
const errorsOf = (r: PortalResponse) => json(r).errors as Array<{ field: string; message: string }>;
const fields = (r: PortalResponse) => errorsOf(r).map((e) => e.field);

test('GET / without a session: the page with the login form and keypad, no CSRF token, a strict CSP, under 24 KB', (t) => {
  const { handler } = simPortal();
  const r = handler(req('GET', '/'));
  t.is(r.status, 200);
  t.regex(r.headers['content-type'], /^text\/html/);
  const html = text(r.body);
  t.true(r.body.byteLength < 24 * 1024, `page is ${r.body.byteLength} bytes`);
  t.regex(html, /data-csrf=""/);
  t.regex(html, /id=login/);
  t.regex(html, /id=kp/);
  t.notRegex(html, /(src|href)=["']?(https?:)?\/\//, 'no external assets');
  const csp = r.headers['content-security-policy'];
  t.regex(csp, /default-src 'none'/);
  t.regex(csp, /script-src 'sha256-[A-Za-z0-9+/]{43}='/);
  t.regex(csp, /frame-ancestors 'none'/);
  // The CSP hash is the script's: recompute it from the page.
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1];
  const digest = createHash('sha256').update(script).digest('base64');
  t.true(csp.includes(`'sha256-${digest}'`));
});

test('login: a wrong code is 401 with a field error; the right one sets an HttpOnly SameSite=Strict cookie and GET / carries the CSRF token', (t) => {
  const { handler, first, host } = simPortal();
  const wrong = handler(req('POST', '/api/login', { code: first.installerCode === '000000' ? '111111' : '000000' }));
  t.is(wrong.status, 401);
  t.deepEqual(fields(wrong), ['code']);
  t.false('set-cookie' in wrong.headers);
  const ok = handler(req('POST', '/api/login', { code: first.installerCode }));
  t.is(ok.status, 200);
  const cookie = ok.headers['set-cookie'];
  t.regex(cookie, /^portal=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
  const { csrf } = json(ok);
  t.regex(csrf, /^[A-Za-z0-9_-]{43}$/);
  const html = text(handler(req('GET', '/', undefined, { cookie: cookie.split(';')[0] })).body);
  t.true(html.includes(`data-csrf="${csrf}"`));
  t.true(host.lines.includes('portal: installer logged in'));
  t.false(host.lines.some((l) => l.includes(first.installerCode)), 'the code is never logged');
});

test('without a session every API but login and the keypad is 401, and nothing changes', (t) => {
  const { handler, panel, host } = simPortal();
  const before = fingerprint(host.storage);
  const config = JSON.stringify(panel.config());
  for (const [method, path] of [
    ['GET', '/api/status'], ['GET', '/api/config'], ['POST', '/api/config'], ['PUT', '/api/config'], ['GET', '/api/config/export'],
    ['POST', '/api/config/import'], ['POST', '/api/remote-key'], ['GET', '/api/log'], ['GET', '/api/log/export'], ['POST', '/api/logout'],
  ]) {
    const r = handler(req(method, path, method === 'GET' ? undefined : { v: 1 }));
    t.is(r.status, 401, `${method} ${path}`);
    t.regex(errorsOf(r)[0].message, /log in/);
  }
  t.is(handler(req('GET', '/api/keypad')).status, 200, 'the keypad state is open');
  t.is(fingerprint(host.storage), before);
  t.is(JSON.stringify(panel.config()), config);
});

test('Origin and CSRF: a change from another origin, without an Origin/Referer, or without the session CSRF token is 403 and changes nothing', (t) => {
  const { handler, panel, host, first } = simPortal();
  const s = login(handler, first.installerCode);
  const form = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  form.panel.name = 'Changed';
  const before = fingerprint(host.storage);
  const cases: Array<[string, Record<string, string>]> = [
    ['another origin', { ...s.headers, origin: 'http://evil.example' }],
    ['same host, other port', { ...s.headers, origin: `http://${HOST}:8080` }],
    ['origin "null"', { ...s.headers, origin: 'null' }],
    ['no CSRF token', { cookie: s.cookie }],
    ['a wrong CSRF token', { ...s.headers, 'x-csrf-token': s.csrf.slice(0, -1) + (s.csrf.endsWith('A') ? 'B' : 'A') }],
    ['another session\'s token', { ...s.headers, 'x-csrf-token': login(handler, first.installerCode).csrf }],
  ];
  for (const [what, headers] of cases) {
    const r = handler(req('POST', '/api/config', form, headers));
    t.is(r.status, 403, what);
  }
  const noOrigin = req('POST', '/api/config', form, s.headers);
  delete noOrigin.headers.origin;
  t.is(handler(noOrigin).status, 403, 'neither Origin nor Referer');
  const crossKeypad = handler(req('POST', '/api/keypad', { action: 'arm_away', code: first.masterCode }, { origin: 'http://evil.example' }));
  t.is(crossKeypad.status, 403, 'the keypad too');
  const crossLogin = handler(req('POST', '/api/login', { code: first.installerCode }, { origin: 'http://evil.example' }));
  t.is(crossLogin.status, 403, 'and the login');
  t.is(panel.config().panel.name, 'Alarm panel');
  t.is(panel.snapshot().mode, 'disarmed');
  // Login sessions live in memory; the storage saw only the two logins' nothing.
  t.is(fingerprint(host.storage), before);
  // A Referer from the portal itself stands in for a missing Origin.
  const viaReferer = req('POST', '/api/config', form, { ...s.headers, referer: `${ORIGIN}/` });
  delete viaReferer.headers.origin;
  t.is(handler(viaReferer).status, 200);
  t.is(panel.config().panel.name, 'Changed');
});

test('sessions expire after 15 idle minutes and end at logout', (t) => {
  const { handler, panel, host, first } = simPortal();
  const s = login(handler, first.installerCode);
  host.runTo(panel, host.uptimeMs + 14 * 60_000);
  t.is(handler(req('GET', '/api/status', undefined, s.headers)).status, 200, 'still alive after 14 min (and restarted)');
  host.runTo(panel, host.uptimeMs + 15 * 60_000 + 1);
  t.is(handler(req('GET', '/api/status', undefined, s.headers)).status, 401, 'gone after 15 idle min');
  const s2 = login(handler, first.installerCode);
  const out = handler(req('POST', '/api/logout', undefined, s2.headers));
  t.is(out.status, 200);
  t.regex(out.headers['set-cookie'], /Max-Age=0/);
  t.is(handler(req('GET', '/api/status', undefined, s2.headers)).status, 401);
});

test('wrong installer codes count toward the panel lockout: the 10th locks every code entry point (461), for 90 s', (t) => {
  const { handler, panel, host, first } = simPortal();
  const wrong = first.installerCode === '000000' ? '111111' : '000000';
  const statuses: number[] = [];
  // From ten devices: one alone is held back after 3 (the per-client limit, tested below).
  for (let i = 0; i < 10; i++) statuses.push(handler({ ...req('POST', '/api/login', { code: wrong }), client: `10.0.0.${i}` }).status);
  t.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
  t.true(panel.events().some((e) => e.code === 461 && e.q === 1), '461 reported');
  const locked = handler(req('POST', '/api/login', { code: first.installerCode }));
  t.is(locked.status, 429, 'even the right installer code is refused while locked');
  t.is(json(locked).lockout, 90);
  const pad = json(handler(req('POST', '/api/keypad', { action: 'arm_away', code: first.masterCode })));
  t.is(pad.reason, 'locked_out', 'the keypad is locked too');
  host.runTo(panel, host.uptimeMs + 91_000);
  t.is(handler(req('POST', '/api/login', { code: first.installerCode })).status, 200, 'after 90 s the right code logs in');
});

test('keypad wrong codes lock the installer login too', (t) => {
  const { handler, first } = simPortal();
  const wrong = first.masterCode === '0000' ? '1111' : '0000';
  for (let i = 0; i < 10; i++) handler({ ...req('POST', '/api/keypad', { action: 'disarm', code: wrong }), client: `10.0.0.${i}` });
  const login = handler({ ...req('POST', '/api/login', { code: first.installerCode }), client: '10.0.0.99' });
  t.is(login.status, 429);
  t.is(json(login).lockout, 90, 'the panel-wide lockout, not a per-client wait');
});

test('save: the broker and a zone change, the panel applies them (306) and they are on flash', (t) => {
  const { handler, panel, host, first } = simPortal();
  const s = login(handler, first.installerCode);
  const form = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  form.broker.url = 'mqtts://broker.example.net:8883';
  form.broker.username = 'panel-7';
  form.broker.password = 's3cret-broker';
  form.broker.version = 5;
  form.alarm.zones[0].name = 'Back door';
  form.pins.doors[0].pin = 26;
  form.pins.doors[0].wiring = 'NO';
  const r = handler(req('POST', '/api/config', form, s.headers));
  t.is(r.status, 200, text(r.body));
  const cfg = panel.config();
  t.is(cfg.broker.url, 'mqtts://broker.example.net:8883');
  t.is(cfg.broker.password, 's3cret-broker');
  t.is(cfg.broker.version, 5);
  t.is(cfg.alarm.zones[0].name, 'Back door');
  t.like(cfg.pins.doors![0], { zone: 1, pin: 26, wiring: 'NO', tamperPin: 33, debounceMs: 50 });
  t.is(panel.snapshot().zones[0].name, 'Back door');
  t.true(panel.events().some((e) => e.code === 306));
  t.deepEqual(loadConfig(host.storage).raw, cfg, 'saved');
  t.false(text(r.body).includes('s3cret-broker'), 'the password is not sent back');
  t.true(json(r).set.includes('broker.password'), 'it shows as set');
  t.false(host.lines.some((l) => l.includes('s3cret')), 'nor logged');
});

test('secrets: empty keeps, null removes, text replaces; the view never carries them', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const view = () => json(handler(req('GET', '/api/config', undefined, s.headers)));
  const save = (change: (f: any) => void) => {
    const f = view().config;
    change(f);
    return handler(req('POST', '/api/config', f, s.headers));
  };
  const orphan = save((f) => { f.broker.url = 'mqtt://10.0.0.2'; f.broker.password = 'bp'; });
  t.deepEqual(errorsOf(orphan), [{ field: 'broker.username', message: 'a broker password needs a user name' }]);
  t.is(save((f) => { f.wifi.ssid = 'Home'; f.wifi.password = 'wifi-pass-123'; f.broker.url = 'mqtt://10.0.0.2'; f.broker.username = 'u'; f.broker.password = 'bp'; }).status, 200);
  t.is(save((f) => { f.panel.name = 'Hall panel'; }).status, 200, 'a save without the secrets');
  t.is(panel.config().wifi.password, 'wifi-pass-123', 'kept');
  t.is(panel.config().broker.password, 'bp', 'kept');
  t.is(save((f) => { f.wifi.password = ''; f.broker.password = null; f.broker.username = ''; }).status, 200);
  t.is(panel.config().wifi.password, 'wifi-pass-123', "'' keeps");
  t.is(panel.config().broker.password, undefined, 'null removes');
  const v = view();
  t.false(JSON.stringify(v).includes('wifi-pass-123'));
  t.false(JSON.stringify(v).includes(panel.config().alarm.users[0].codeHash));
  t.false(JSON.stringify(v).includes(panel.config().installer.codeHash));
  t.deepEqual(v.set, ['wifi.password', 'alarm.users[0].code']);
  t.deepEqual(Object.keys(v.config.alarm.users[0]).sort(), ['name', 'number', 'role']);
});

test('bad input: field-level errors, and nothing changes', (t) => {
  const { handler, panel, host, first } = simPortal();
  const s = login(handler, first.installerCode);
  const form = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  const before = fingerprint(host.storage);
  const events = panel.events().length;
  const bad = structuredClone(form);
  bad.broker.url = 'http://nope';
  bad.alarm.zones[0].name = '';
  bad.alarm.timers.armed_away.entryDelay = 99;
  bad.pins.doors[0].pin = 'x';
  bad.pins.siren.pin = 27; // the PIR's pin
  bad.wifi.password = 'short';
  bad.alarm.users[0].code = '12';
  const r = handler(req('POST', '/api/config', bad, s.headers));
  t.is(r.status, 400);
  t.deepEqual(fields(r).sort(), [
    'alarm.timers.armed_away.entryDelay', 'alarm.users[0].code', 'alarm.zones[0].name', 'broker.url', 'pins.doors[0].pin', 'wifi.password',
  ]);
  const twice = structuredClone(form);
  twice.pins.siren.pin = 27;
  t.deepEqual(errorsOf(handler(req('POST', '/api/config', twice, s.headers))), [{ field: 'pins.motion[0].pin', message: 'GPIO 27 is used twice: siren.pin and motion[0].pin' }]);
  for (const [body, what] of [['{"v":1', 'not JSON'], [new Uint8Array([0x7b, 0xff, 0x7d]), 'not UTF-8'], ['[]', 'not an object']] as const) {
    const e = handler(req('POST', '/api/config', body, s.headers));
    t.is(e.status, 400, what);
    t.true(errorsOf(e)[0].message.length > 5);
  }
  const big = handler(req('POST', '/api/config', new Uint8Array(MAX_BODY_BYTES + 1), s.headers));
  t.is(big.status, 413);
  const plain = handler(req('POST', '/api/config', form, { ...s.headers, 'content-type': 'text/plain' }));
  t.is(plain.status, 415, 'a form post in disguise is refused');
  t.is(fingerprint(host.storage), before);
  t.is(panel.events().length, events);
  t.is(panel.config().broker.url, '');
});

test('a host pin rule (the ESP32 strapping pins) refuses a save with a field error', (t) => {
  const { handler, panel, first } = simPortal({ pinRules: (pins) => (pins.siren.pin === 12 ? ['siren.pin GPIO 12 is a strapping pin'] : []) });
  const s = login(handler, first.installerCode);
  const form = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  form.pins.siren.pin = 12;
  const r = handler(req('POST', '/api/config', form, s.headers));
  t.deepEqual(errorsOf(r), [{ field: 'pins.siren.pin', message: 'siren.pin GPIO 12 is a strapping pin' }]);
  t.is(panel.config().pins.siren.pin, 25);
});

test('users: codes are hashed with a fresh salt, never shown; a new user needs a code; duress rules', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const view = () => json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  const post = (f: unknown) => handler(req('POST', '/api/config', f, s.headers));
  const f = view();
  f.alarm.users.push({ number: 2, name: 'Kid', role: 'arm-only' });
  t.deepEqual(fields(post(f)), ['alarm.users[1].code'], 'a new user needs a code');
  f.alarm.users[1].code = '4321';
  f.alarm.users[1].duressCode = '4321';
  t.deepEqual(fields(post(f)), ['alarm.users[1].duressCode'], 'duress must differ');
  f.alarm.users[1].duressCode = '9876';
  t.is(post(f).status, 200);
  const kid = panel.config().alarm.users[1];
  t.is(kid.codeHash, hashCode('4321', kid.salt));
  t.is(kid.duressHash, hashCode('9876', kid.salt));
  t.not(kid.salt, panel.config().alarm.users[0].salt);
  const g = view();
  g.alarm.users[1].code = '5555';
  t.deepEqual(fields(post(g)), ['alarm.users[1].duressCode'], 'a new code with a kept duress code asks for the duress code again');
  g.alarm.users[1].duressCode = null;
  t.is(post(g).status, 200);
  const kid2 = panel.config().alarm.users[1];
  t.not(kid2.salt, kid.salt, 'a fresh salt');
  t.true(sameHash(kid2.codeHash, hashCode('5555', kid2.salt)));
  t.is(kid2.duressHash, undefined);
  const h = view();
  h.alarm.users[0].codeHash = '00'.repeat(32);
  t.deepEqual(fields(post(h)), ['alarm.users[0].codeHash'], 'hashes cannot be posted');
  // The new code works at the keypad.
  t.true(panel.keypad('arm_away', '5555').ok);
});

test('installer code change: fresh salt, the old code stops working', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const f = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  f.installer = { code: '24680' };
  t.is(handler(req('POST', '/api/config', f, s.headers)).status, 200);
  t.is(panel.config().installer.codeHash, hashCode('24680', panel.config().installer.salt));
  t.is(handler(req('POST', '/api/login', { code: first.installerCode })).status, 401);
  t.is(handler(req('POST', '/api/login', { code: '24680' })).status, 200);
});

test('remote keys: a new 256-bit key is shown once, stored for the user, never shown again; revoke removes it', (t) => {
  const { handler, panel, first, host } = simPortal();
  const s = login(handler, first.installerCode);
  const r = handler(req('POST', '/api/remote-key', { user: 1 }, s.headers));
  t.is(r.status, 200);
  const { key } = json(r);
  t.is(decodeKey(key)?.length, 32);
  t.is(panel.config().remote['1'], key);
  const view = text(handler(req('GET', '/api/config', undefined, s.headers)).body);
  t.false(view.includes(key), 'not in the view');
  t.true(json(handler(req('GET', '/api/config', undefined, s.headers))).set.includes('remote.1'));
  t.false(host.lines.some((l) => l.includes(key)), 'not logged');
  const again = json(handler(req('POST', '/api/remote-key', { user: 1 }, s.headers))).key;
  t.not(again, key, 'a replacement is a new key');
  t.is(handler(req('POST', '/api/remote-key', { user: 9 }, s.headers)).status, 400, 'no such user');
  t.is(handler(req('POST', '/api/remote-key', { user: 1, revoke: true }, s.headers)).status, 200);
  t.deepEqual(panel.config().remote, {});
  // A user removed in the form takes its key along.
  json(handler(req('POST', '/api/remote-key', { user: 1 }, s.headers)));
  const f = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  f.alarm.users.push({ number: 2, name: 'Second', role: 'master', code: '8642' });
  f.alarm.users.shift();
  t.is(handler(req('POST', '/api/config', f, s.headers)).status, 200);
  t.deepEqual(panel.config().remote, {});
});

test('Home Assistant on needs its own user', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const f = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
  f.homeAssistant.enabled = true;
  t.deepEqual(fields(handler(req('POST', '/api/config', f, s.headers))), ['homeAssistant.user']);
  f.homeAssistant.user = 1;
  t.is(handler(req('POST', '/api/config', f, s.headers)).status, 200);
  t.like(panel.config().homeAssistant, { enabled: true, user: 1 });
});

test('config export is the config without its secrets, and says so; it imports back, as does a whole config; a bad import changes nothing', (t) => {
  const { handler, panel, first, host } = simPortal();
  const s = login(handler, first.installerCode);
  const exported = handler(req('GET', '/api/config/export', undefined, s.headers));
  t.is(exported.status, 200);
  t.regex(exported.headers['content-disposition'], /^attachment; filename="sim1-config.json"$/);
  const exportDoc = JSON.parse(text(exported.body));
  t.is(exportDoc.secrets, 'left out');
  t.deepEqual(exportDoc.counters, panel.counters(), 'the command counters travel with the keys');
  t.deepEqual(exportDoc.config, json(handler(req('GET', '/api/config', undefined, s.headers))).config, 'what the page sees');
  exportDoc.config.panel.name = 'From the export';
  t.is(handler(req('POST', '/api/config/import', exportDoc, s.headers)).status, 200);
  t.is(panel.config().panel.name, 'From the export');
  const s1 = login(handler, first.installerCode); // the import ended the session
  // A whole config, secrets and all (made by hand, or by an older version), imports as it is.
  const doc = JSON.parse(JSON.stringify(panel.config()));
  const changed = structuredClone(doc);
  changed.panel.name = 'Restored';
  t.is(handler(req('POST', '/api/config/import', changed, s1.headers)).status, 200);
  t.is(panel.config().panel.name, 'Restored');
  t.is(handler(req('GET', '/api/status', undefined, s.headers)).status, 401, 'the import ended the session');
  const s2 = login(handler, first.installerCode);
  const before = fingerprint(host.storage);
  const broken = structuredClone(doc);
  broken.alarm.users = [];
  broken.extra = 1;
  const r = handler(req('POST', '/api/config/import', broken, s2.headers));
  t.is(r.status, 400);
  t.deepEqual(fields(r).sort(), ['alarm.users', 'extra']);
  t.is(fingerprint(host.storage), before);
  t.is(panel.config().panel.name, 'Restored');
});

test('event log: a JSON view and the export of the whole hash-chained log', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  panel.keypad('arm_away', first.masterCode);
  panel.keypad('disarm', first.masterCode);
  const view = json(handler(req('GET', '/api/log?max=2', undefined, s.headers)));
  t.deepEqual(view.events, panel.events(2));
  t.is(view.lastSeq, panel.status().lastSeq);
  t.is(handler(req('GET', '/api/log?max=0', undefined, s.headers)).status, 400);
  t.is(handler(req('GET', '/api/log?max=abc', undefined, s.headers)).status, 400);
  const exp = handler(req('GET', '/api/log/export', undefined, s.headers));
  t.is(exp.headers['content-type'], 'application/octet-stream');
  t.deepEqual(exp.body, panel.exportLog());
});

test('keypad: arms and disarms with a user code and no login; bad input is 400 and not a wrong code', (t) => {
  const { handler, panel, first } = simPortal();
  const arm = json(handler(req('POST', '/api/keypad', { action: 'arm_away', code: first.masterCode })));
  t.like(arm, { ok: true, state: { mode: 'arming' } });
  const off = json(handler(req('POST', '/api/keypad', { action: 'disarm', code: first.masterCode })));
  t.like(off, { ok: true, state: { mode: 'disarmed' } });
  const wrong = json(handler(req('POST', '/api/keypad', { action: 'arm_away', code: '99999999' })));
  t.like(wrong, { ok: false, reason: 'bad_code', message: 'Wrong code.' });
  for (const body of [{ action: 'explode', code: '1234' }, { action: 'disarm', code: 1234 }, { action: 'disarm', code: '12ab' }, { action: 'disarm' }, 'nope']) {
    t.is(handler(req('POST', '/api/keypad', body)).status, 400, JSON.stringify(body));
  }
  // Only the one wrong code counted: nine more (from other devices) lock.
  for (let i = 0; i < 9; i++) handler({ ...req('POST', '/api/keypad', { action: 'disarm', code: '99999999' }), client: `10.0.0.${i}` });
  t.is(panel.snapshot().lockout, 90);
  t.is(json(handler(req('GET', '/api/keypad'))).lockout, 90);
});

test('unknown paths are 404, wrong methods 405 with Allow', (t) => {
  const { handler } = simPortal();
  t.is(handler(req('GET', '/etc/passwd')).status, 404);
  t.is(handler(req('GET', '/__proto__')).status, 404);
  const r = handler(req('DELETE', '/api/config'));
  t.is(r.status, 405);
  t.is(r.headers.allow, 'GET, POST, PUT');
});

test('the page stays under 24 KB with a token in it', (t) => {
  t.true(new TextEncoder().encode(page('x'.repeat(43))).byteLength < 24 * 1024);
});

test('a power cut at any byte of a save leaves the old config or the new one on flash, never a mix', (t) => {
  const changed = (f: any) => { f.panel.name = 'After the cut'; f.broker.url = 'mqtt://10.1.2.3'; f.alarm.zones[0].name = 'Side door'; };
  // How many bytes a whole save writes.
  const probe = simPortal();
  const ps = login(probe.handler, probe.first.installerCode);
  const form = json(probe.handler(req('GET', '/api/config', undefined, ps.headers))).config;
  changed(form);
  const start = probe.host.storage.totalWritten;
  t.is(probe.handler(req('POST', '/api/config', form, ps.headers)).status, 200);
  const full = probe.host.storage.totalWritten - start;
  t.true(full > 0);

  const outcomes = new Set<string>();
  for (let cut = 0; cut <= full; cut += Math.max(1, Math.floor(full / 97))) {
    const { handler, host, first, panel } = simPortal();
    const old = structuredClone(panel.config());
    const s = login(handler, first.installerCode);
    const f = json(handler(req('GET', '/api/config', undefined, s.headers))).config;
    t.is(handler(req('POST', '/api/config', f, s.headers)).status, 200, 'the old config is on flash');
    changed(f);
    host.storage.cutPowerAfter(cut);
    const r = handler(req('POST', '/api/config', f, s.headers));
    t.true(r.status === 500 || r.status === 200, `cut at ${cut}: ${r.status}`);
    host.storage.powerOn();
    const saved = loadConfig(host.storage).raw as any;
    const name = saved?.panel?.name;
    if (name === old.panel.name) t.deepEqual(saved, old, `cut at ${cut}: the old config, whole`);
    if (name === 'After the cut') t.is(saved.alarm.zones[0].name, 'Side door', `cut at ${cut}: the new config, whole`);
    t.true(name === old.panel.name || name === 'After the cut', `cut at ${cut}: ${name}`);
    outcomes.add(name);
  }
  t.deepEqual([...outcomes].sort(), ['After the cut', 'Alarm panel'], 'both outcomes were seen');
});

test('a key made elsewhere (monitor keygen) can be entered for a user; it is never sent back; a bad one is refused', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const key = 'q3Z9lJdY0uE8r5m-Wn1cXo7tVb2Ka4sHf6gPiL0yT_A'; // 43 characters, as keygen prints
  t.truthy(decodeKey(key));
  const r = handler(req('POST', '/api/remote-key', { user: 1, key: `  ${key}\n` }, s.headers));
  t.is(r.status, 200);
  t.deepEqual(json(r), { user: 1, entered: true });
  t.false(text(r.body).includes(key), 'not echoed');
  t.is(panel.config().remote['1'], key);
  const before = JSON.stringify(panel.config());
  for (const bad of [key.slice(1), `${key}=`, key.slice(0, 42) + 'B', 'not a key at all, but 43 characters long!!', 42]) {
    const refused = handler(req('POST', '/api/remote-key', { user: 1, key: bad }, s.headers));
    t.is(refused.status, 400, String(bad));
    t.deepEqual(json(refused).errors.map((e: { field: string }) => e.field), ['key']);
  }
  t.is(handler(req('POST', '/api/remote-key', { user: 1, key, revoke: true }, s.headers)).status, 400, 'a key and revoke');
  t.is(JSON.stringify(panel.config()), before, 'nothing changed');
});
