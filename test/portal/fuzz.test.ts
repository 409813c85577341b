// Fuzzing the portal's handlers with malformed requests: bodies, lengths, encodings, methods,
// paths and missing credentials. Every one must be answered (never thrown) with a 4xx and a
// clear error, and must change nothing: not the config, not the log, not a byte of flash.
import test from 'ava';
import fc from 'fast-check';
import { MAX_BODY_BYTES, type PortalRequest } from '../../src/portal/http.ts';
import { HOST, ORIGIN, json, login, req, simPortal } from './support.ts';

const routes = ['/', '/api/login', '/api/logout', '/api/keypad', '/api/status', '/api/config', '/api/config/export', '/api/config/import', '/api/remote-key', '/api/log', '/api/log/export'];
const changing = ['/api/login', '/api/logout', '/api/keypad', '/api/config', '/api/config/import', '/api/remote-key'];

function setup() {
  const p = simPortal();
  const s = login(p.handler, p.first.installerCode);
  const form = json(p.handler(req('GET', '/api/config', undefined, s.headers))).config;
  const full = structuredClone(p.panel.config());
  const storage = p.host.storage;
  const fingerprint = () =>
    storage.names().map((n) => `${n}:${Buffer.from(storage.read(n)).toString('hex')}`).join('|') +
    JSON.stringify(p.panel.config()) + JSON.stringify(p.panel.snapshot()) + p.panel.events().length;
  return { ...p, s, form, full, fingerprint };
}

/** Paths to every leaf (string, number, boolean) of a JSON value. */
function leaves(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...at, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]));
  return [at];
}
function setAt(doc: any, path: Array<string | number>, value: unknown) {
  const copy = structuredClone(doc);
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = value;
  return copy;
}

const bytesOf = (s: string) => new TextEncoder().encode(s);
const notJson = fc.uint8Array({ maxLength: 400 }).filter((b) => {
  try { JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)); return false; } catch { return true; }
});
const badUtf8 = fc.tuple(fc.json(), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]), fc.nat())
  .map(([text, bad, at]) => {
    const b = bytesOf(text);
    const i = at % (b.length + 1);
    return new Uint8Array([...b.slice(0, i), ...bad, ...b.slice(i)]);
  });
const oversize = fc.integer({ min: 1, max: 4096 }).map((extra) => bytesOf(`{"pad":"${'x'.repeat(MAX_BODY_BYTES + extra)}"}`));
const deep = fc.integer({ min: 1000, max: 5000 }).map((n) => bytesOf('['.repeat(n) + ']'.repeat(n)));
/** JSON that cannot be a valid code entry (which would count as a wrong code: a change). */
const anyJson = fc.jsonValue().filter((v) => !(v && typeof v === 'object' && 'code' in v));

function check(t: any, ctx: ReturnType<typeof setup>, request: PortalRequest, statuses?: number[]) {
  const before = ctx.fingerprint();
  const response = ctx.handler(request);
  const where = `${request.method} ${request.path.slice(0, 60)} → ${response.status}`;
  if (response.status < 400 || response.status >= 500) throw new Error(`not a 4xx: ${where} ${new TextDecoder().decode(response.body).slice(0, 200)}`);
  if (statuses && !statuses.includes(response.status)) throw new Error(`expected ${statuses}: ${where}`);
  const body = json(response);
  if (!Array.isArray(body.errors) || body.errors.length === 0) throw new Error(`no errors listed: ${where}`);
  for (const e of body.errors) {
    if (typeof e.field !== 'string' || typeof e.message !== 'string' || e.message.length < 5) throw new Error(`unclear error ${JSON.stringify(e)}: ${where}`);
  }
  if (ctx.fingerprint() !== before) throw new Error(`something changed: ${where}`);
  t.pass();
}

const runs = { numRuns: 300, seed: 20240611 };

test('malformed bodies to every changing endpoint, with a valid session: 4xx, nothing changed', (t) => {
  const ctx = setup();
  fc.assert(fc.property(
    fc.constantFrom(...changing.filter((p) => p !== '/api/logout')),
    fc.oneof(notJson, badUtf8, oversize, deep, anyJson.map((v) => bytesOf(JSON.stringify(v)))),
    (path, body) => check(t, ctx, req('POST', path, body, ctx.s.headers)),
  ), runs);
});

test('a valid form with one leaf replaced by an object or a list: 400 naming a field, nothing changed', (t) => {
  const ctx = setup();
  const formLeaves = leaves(ctx.form);
  const fullLeaves = leaves(ctx.full);
  fc.assert(fc.property(
    fc.boolean(), fc.nat(), fc.constantFrom<unknown>({}, [], [1], { a: 1 }),
    (importing, pick, value) => {
      const [doc, paths, path] = importing ? [ctx.full, fullLeaves, '/api/config/import'] : [ctx.form, formLeaves, '/api/config'];
      const at = paths[pick % paths.length];
      const r = req('POST', path, setAt(doc, at, value), ctx.s.headers);
      check(t, ctx, r, [400]);
    },
  ), runs);
});

test('a valid change without its credentials (session, CSRF token, Origin, content type): 4xx, nothing changed', (t) => {
  const ctx = setup();
  const changed = structuredClone(ctx.form);
  changed.panel.name = 'Fuzzed';
  const bodies: Record<string, unknown> = {
    '/api/config': changed, '/api/config/import': { ...ctx.full, panel: { id: 'x', name: 'y' } }, '/api/remote-key': { user: 1 },
    '/api/keypad': { action: 'arm_away', code: ctx.first.masterCode }, '/api/login': { code: ctx.first.installerCode }, '/api/logout': {},
  };
  const other = login(ctx.handler, ctx.first.installerCode); // a second live session, whose token is not ours
  fc.assert(fc.property(
    fc.constantFrom(...changing),
    fc.constantFrom('none', 'garbage', 'mine'), fc.constantFrom('none', 'garbage', 'mine', 'other'),
    fc.constantFrom('same', 'none', 'garbage', 'cross', 'null', 'referer-cross'),
    fc.constantFrom('json', 'none', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'), fc.string({ maxLength: 60 }),
    (path, cookie, csrf, origin, type, junk) => {
      // Skip the combinations that carry every credential their route needs.
      const sameOrigin = origin === 'same' && type === 'json';
      if (path === '/api/login') fc.pre(!sameOrigin);
      else if (path === '/api/keypad') fc.pre(!(sameOrigin && (cookie !== 'mine' || csrf === 'mine')));
      else fc.pre(!(sameOrigin && cookie === 'mine' && csrf === 'mine'));
      const headers: Record<string, string> = { host: HOST };
      if (cookie === 'mine') headers.cookie = ctx.s.cookie;
      else if (cookie === 'garbage') headers.cookie = `portal=${junk}`;
      if (csrf === 'mine') headers['x-csrf-token'] = ctx.s.csrf;
      else if (csrf === 'other') headers['x-csrf-token'] = other.csrf;
      else if (csrf === 'garbage') headers['x-csrf-token'] = junk;
      if (origin === 'same') headers.origin = ORIGIN;
      else if (origin === 'cross') headers.origin = 'http://attacker.example';
      else if (origin === 'null') headers.origin = 'null';
      else if (origin === 'garbage') headers.origin = junk;
      else if (origin === 'referer-cross') headers.referer = `http://attacker.example/${HOST}`;
      if (type === 'json') headers['content-type'] = 'application/json';
      else if (type !== 'none') headers['content-type'] = type;
      check(t, ctx, { method: 'POST', path, headers, body: bytesOf(JSON.stringify(bodies[path])) });
    },
  ), { numRuns: 200, seed: 7 });
});

test('unknown paths and methods: 404 or 405, nothing changed', (t) => {
  const ctx = setup();
  const routeOf = (p: string) => p.split('?')[0];
  const path = fc.oneof(
    fc.string({ maxLength: 80 }).map((s) => `/${s}`),
    fc.constantFrom('//api/config', '/API/CONFIG', '/api/config/', '/api/../api/config', '/%2e%2e/api/config', '/api/config%00', '/__proto__', '/constructor', '/api/log/export/..', 'api/config', ''),
    fc.tuple(fc.constantFrom(...routes), fc.string({ minLength: 1, maxLength: 20 })).map(([r, s]) => r + (s.startsWith('?') ? `/${s}` : s)),
  ).filter((p) => !routes.includes(routeOf(p)));
  const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'get', ''), fc.string({ maxLength: 12 }));
  fc.assert(fc.property(path, method, fc.uint8Array({ maxLength: 64 }), (p, m, body) => {
    check(t, ctx, { method: m, path: p, headers: { ...ctx.s.headers, host: HOST, origin: ORIGIN, 'content-type': 'application/json' }, body }, [404]);
  }), runs);
  const known = fc.constantFrom(...routes);
  fc.assert(fc.property(known, method, (p, m) => {
    const allowed = p === '/api/config' ? ['GET', 'POST', 'PUT'] : p === '/api/keypad' ? ['GET', 'POST'] : changing.includes(p) ? ['POST'] : ['GET'];
    fc.pre(!allowed.includes(m));
    check(t, ctx, { method: m, path: p, headers: { ...ctx.s.headers, host: HOST, origin: ORIGIN, 'content-type': 'application/json' }, body: new Uint8Array(0) }, [405]);
  }), runs);
});

test('anything at all: the handler never throws and always answers a status with a body', (t) => {
  const ctx = setup();
  const header = fc.dictionary(fc.constantFrom('host', 'origin', 'referer', 'cookie', 'x-csrf-token', 'content-type', 'content-length', fc.string({ maxLength: 10 }) as any), fc.string({ maxLength: 80 }));
  fc.assert(fc.property(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'X'), fc.oneof(fc.constantFrom(...routes), fc.string({ maxLength: 40 })),
    header, fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json().map(bytesOf)),
    (method, path, headers, body) => {
      const r = ctx.handler({ method, path, headers, body });
      if (!Number.isInteger(r.status) || r.status < 200 || r.status >= 500 || !(r.body instanceof Uint8Array)) throw new Error(`bad answer ${r.status}`);
      t.pass();
    },
  ), { numRuns: 500, seed: 99 });
});
