// The local portal: one page and a small JSON API over the panel, the same on every host.
//
// Who may do what: the page and the keypad are open (a user code governs arming, under the
// core's lockout); everything else needs an installer session. Every change is a POST from
// the page's own origin; with a session it also carries the session's CSRF token.
import type { Host, Panel } from '../app';
import type { PanelConfig } from '../config';
import { sameHash, type FieldError } from '../core/settings';
import type { KeypadAction, Reason } from '../core/io';
import { decodeKey, encodeKey } from '../uplink/keys';
import { fromUtf8, utf8 } from '../text';
import { bodyLimit, type PortalHandler, type PortalRequest, type PortalResponse } from './http';
import { applyForm, checkImport, configView, exportDocument, importDocument, splitCounters } from './form';
import { Sessions, type PortalSession } from './sessions';
import { page, pageHeaders } from './page';
import { checkHead } from './names';
import { CodeThrottle } from './throttle';

export interface PortalOptions {
  /** The panel's own names and addresses (they may change, e.g. by DHCP): any other Host is answered 421. */
  names: () => readonly string[];
  /** Minutes without a request before an installer session ends. Default 15. */
  sessionMinutes?: number;
  /** Installer sessions at once; a new login ends the oldest. Default 4. */
  maxSessions?: number;
  /** Hours a session lasts at most, even while the page polls. Default 12. */
  sessionHours?: number;
  /** The host's extra pin rules (the ESP32's strapping pins), checked before a save. */
  pinRules?: (pins: PanelConfig['pins']) => string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const COOKIE = 'portal';
const keypadActions: readonly string[] = Object.freeze(['arm_away', 'arm_home', 'arm_night', 'disarm']);

const reasons: Record<Reason, string> = Object.freeze({
  bad_code: 'Wrong code.',
  locked_out: 'Too many wrong codes: every keypad is locked for a while.',
  not_permitted: 'This code may not do that.',
  zones_open: 'Zones are open.',
  invalid_state: 'Not possible in the present state.',
  unknown_zone: 'No such zone.',
  unknown_user: 'No such user.',
  invalid_input: 'Not a keypad action.',
});

class Refusal {
  constructor(readonly status: number, readonly errors: FieldError[], readonly extra: Obj = {}) {}
}
const refuse = (status: number, message: string, field = '', extra: Obj = {}) => new Refusal(status, [{ field, message }], extra);

function reply(status: number, value: unknown, headers: Record<string, string> = {}): PortalResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
    body: utf8(JSON.stringify(value)),
  };
}

function download(bytes: Uint8Array, type: string, filename: string): PortalResponse {
  return {
    status: 200,
    headers: { 'content-type': type, 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: bytes,
  };
}

function cookie(headers: Record<string, string>, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function parseJson(request: PortalRequest): unknown {
  const limit = bodyLimit(request.path);
  if (request.body.byteLength > limit) throw refuse(413, `the request body is over ${limit} bytes`);
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw refuse(415, 'send the body as application/json');
  let text: string;
  try {
    text = fromUtf8(request.body);
  } catch {
    throw refuse(400, 'the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw refuse(400, 'the body is not valid JSON');
  }
}

function query(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  for (const pair of path.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return undefined;
}

interface Route {
  methods: string[];
  /** Open to visitors without an installer session. */
  open?: boolean;
  run(request: PortalRequest, session: PortalSession | undefined): PortalResponse;
}

/** The portal's HTTP handler over a running panel. */
export function createPortal(
  panel: Panel, host: Pick<Host, 'randomBytes' | 'clock' | 'log'>, options: PortalOptions,
): PortalHandler {
  const sessions = new Sessions((n) => host.randomBytes(n), () => host.clock.uptime(), (options.sessionMinutes ?? 15) * 60_000, options.maxSessions ?? 4, (options.sessionHours ?? 12) * 3_600_000);
  // A browser-session cookie: the panel ends the session itself after the idle time (a
  // Max-Age would log an installer out mid-work, counted from the login).
  const cookieOut = (value: string, end?: boolean) =>
    `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${end ? '; Max-Age=0' : ''}`;

  let pageHeadersOnce: Record<string, string> | undefined;

  // Wrong codes per client: one device guessing is slowed down before it can lock everyone out.
  const throttle = new CodeThrottle(() => host.clock.uptime());
  const clientOf = (request: PortalRequest) => (typeof request.client === 'string' && request.client ? request.client : '?');
  /** Refuses a code entry (429) while this client must wait. */
  const admitCode = (client: string) => {
    const wait = Math.ceil(throttle.wait(client) / 1000);
    if (wait > 0) throw refuse(429, `Too many wrong codes from this device: try again in ${wait} s.`, 'code', { wait });
  };
  /** Counts the outcome of a code entry for its client; `lockedBefore`: the panel was locked already. */
  const countCode = (client: string, result: { ok: boolean; reason?: string }, lockedBefore: boolean) => {
    if (result.ok) return throttle.right(client);
    if (result.reason === 'bad_code' || (result.reason === 'locked_out' && !lockedBefore)) return throttle.wrong(client);
    if (result.reason !== 'locked_out' && result.reason !== 'invalid_input' && result.reason !== 'unknown_user') throttle.right(client); // the code matched
  };

  const keypadState = () => {
    const s = panel.snapshot();
    const state: Obj = { mode: s.mode, lockout: s.lockout, siren: s.siren };
    if (s.armedMode) state.armedMode = s.armedMode;
    if (s.exit !== undefined) state.exit = s.exit;
    if (s.entry !== undefined) state.entry = s.entry;
    return state;
  };

  /** Saves a checked config; the panel writes it atomically and reopens what changed. */
  const save = (config: PanelConfig, what: string) => {
    try {
      panel.reconfigure(config);
    } catch (err) {
      host.log(`portal: ${what} not applied: ${(err as Error).message}`);
      throw refuse(500, `the panel could not apply the config: ${(err as Error).message}`);
    }
    host.log(`portal: ${what}`);
  };

  /** Ends every installer session (this one too): whoever held one must log in with the code now in force. */
  const endAll = (value: object, why: string) => {
    sessions.closeAll();
    host.log(`portal: every installer session ended (${why})`);
    return reply(200, { ...value, loggedOut: true }, { 'set-cookie': cookieOut('', true) });
  };

  const routes: Record<string, Route> = {
    '/': {
      methods: ['GET'], open: true,
      run: (_r, session) => ({ status: 200, headers: (pageHeadersOnce ??= pageHeaders()), body: utf8(page(session?.csrf)) }),
    },
    '/api/login': {
      methods: ['POST'], open: true,
      run: (request) => {
        const body = parseJson(request);
        const code = isObj(body) ? body.code : undefined;
        if (typeof code !== 'string' || code.length > 16) throw refuse(400, 'the installer code is required (digits)', 'code');
        const client = clientOf(request);
        admitCode(client);
        const lockedBefore = panel.snapshot().lockout > 0;
        const result = panel.installerLogin(code);
        countCode(client, result, lockedBefore);
        if (!result.ok) {
          host.log(`portal: installer login refused (${result.reason})`);
          const lockout = panel.snapshot().lockout;
          if (result.reason === 'locked_out') throw refuse(429, `Too many wrong codes: try again in ${lockout} s.`, 'code', { lockout });
          throw refuse(401, 'Wrong installer code.', 'code');
        }
        const session = sessions.open();
        host.log('portal: installer logged in');
        return reply(200, { csrf: session.csrf }, { 'set-cookie': cookieOut(session.token) });
      },
    },
    '/api/logout': {
      methods: ['POST'],
      run: (_r, session) => {
        sessions.close(session!);
        return reply(200, { ok: true }, { 'set-cookie': cookieOut('', true) });
      },
    },
    '/api/keypad': {
      methods: ['GET', 'POST'], open: true,
      run: (request) => {
        if (request.method === 'GET') return reply(200, keypadState());
        const body = parseJson(request);
        if (!isObj(body)) throw refuse(400, 'send { action, code }');
        const errors: FieldError[] = [];
        if (typeof body.action !== 'string' || !keypadActions.includes(body.action)) errors.push({ field: 'action', message: `must be one of ${keypadActions.join(', ')}` });
        if (typeof body.code !== 'string' || !/^[0-9]{1,12}$/.test(body.code)) errors.push({ field: 'code', message: 'type the code (digits)' });
        if (body.force !== undefined && typeof body.force !== 'boolean') errors.push({ field: 'force', message: 'must be true or false' });
        if (errors.length) throw new Refusal(400, errors);
        const client = clientOf(request);
        admitCode(client);
        const lockedBefore = panel.snapshot().lockout > 0;
        const result = panel.keypad(body.action as KeypadAction, body.code as string, { force: body.force === true });
        countCode(client, result, lockedBefore);
        if (result.ok) return reply(200, { ok: true, state: keypadState() });
        const zones = result.zones?.length ? ` (zone ${result.zones.join(', ')})` : '';
        return reply(200, { ok: false, reason: result.reason, message: reasons[result.reason] + zones, zones: result.zones, state: keypadState() });
      },
    },
    '/api/status': {
      methods: ['GET'],
      run: () => {
        const status = panel.status();
        const cfg = panel.config();
        return reply(200, {
          panel: cfg.panel, boot: status.boot, snapshot: status.snapshot, uplink: status.uplink ?? null,
          broker: cfg.broker.url, outbox: status.outbox, lastSeq: status.lastSeq, siren: panel.sirenState() ?? null,
        });
      },
    },
    '/api/config': {
      methods: ['GET', 'POST', 'PUT'],
      run: (request) => {
        if (request.method === 'GET') return reply(200, configView(panel.config()));
        const form = parseJson(request);
        const before = panel.config().installer.codeHash;
        const result = applyForm(panel.config(), form, (n) => host.randomBytes(n), options.pinRules);
        if (!result.ok) throw new Refusal(400, result.errors);
        save(result.config, 'config saved');
        if (result.config.installer.codeHash !== before) return endAll(configView(panel.config()), 'the installer code changed');
        return reply(200, configView(panel.config()));
      },
    },
    '/api/config/export': {
      methods: ['GET'],
      run: () => {
        host.log('portal: config exported (secrets left out)');
        // The command counters travel with the keys: a panel that imports them never takes back a spent counter.
        return download(utf8(JSON.stringify({ ...exportDocument(panel.config()), counters: panel.counters() }, null, 2)), 'application/json; charset=utf-8', `${panel.config().panel.id}-config.json`);
      },
    },
    '/api/config/import': {
      methods: ['POST'],
      run: (request) => {
        const { config, counters } = splitCounters(parseJson(request));
        const result = importDocument(panel.config(), config, (n) => host.randomBytes(n), options.pinRules);
        const errors = [...(result.ok ? [] : result.errors), ...(counters && !counters.ok ? counters.errors : [])];
        if (!result.ok || errors.length) throw new Refusal(400, errors);
        save(result.config, 'config imported');
        if (counters?.ok) panel.adoptCounters(counters.counters);
        return endAll(configView(panel.config()), 'a config was imported');
      },
    },
    '/api/remote-key': {
      methods: ['POST'],
      run: (request) => {
        const body = parseJson(request);
        const user = isObj(body) ? body.user : undefined;
        if (!isObj(body) || typeof user !== 'number' || !panel.config().alarm.users.some((u) => u.number === user)) {
          throw refuse(400, 'no such user: save a new user before giving it a key', 'user');
        }
        if (body.revoke !== undefined && body.revoke !== true) throw refuse(400, 'must be true or left out', 'revoke');
        // A key made elsewhere (`monitor keygen`): entered here, never sent back.
        const entered = body.key;
        if (entered !== undefined && (typeof entered !== 'string' || decodeKey(entered.trim()) === undefined)) {
          throw refuse(400, 'a key as `monitor keygen` prints it: 43 characters of base64url (A–Z, a–z, 0–9, - and _)', 'key');
        }
        if (entered !== undefined && body.revoke) throw refuse(400, 'either a key or revoke, not both', 'key');
        const cfg = panel.config();
        const remote = { ...cfg.remote };
        let key: string | undefined;
        if (body.revoke) delete remote[String(user)];
        else if (typeof entered === 'string') remote[String(user)] = entered.trim();
        else remote[String(user)] = key = encodeKey(host.randomBytes(32));
        const result = checkImport({ ...cfg, remote }, options.pinRules);
        if (!result.ok) throw new Refusal(400, result.errors);
        save(result.config, body.revoke ? `remote key of user ${user} revoked` : entered !== undefined ? `remote key entered for user ${user}` : `new remote key for user ${user}`);
        if (entered !== undefined) return reply(200, { user, entered: true });
        // The one time a key made here leaves the panel: the page shows it for the monitor, then forgets it.
        return reply(200, key ? { user, key } : { user, revoked: true });
      },
    },
    '/api/uplink-key': {
      methods: ['POST'],
      run: (request) => {
        const body = parseJson(request);
        if (!isObj(body)) throw refuse(400, 'send {} for a new uplink key, { revoke: true } to remove it, or { sealed: true|false }');
        if (body.sealed !== undefined) {
          // Sealed mode alone: the key stays. Without a key, checkImport refuses it (sealed: needs an uplink key).
          if (typeof body.sealed !== 'boolean' || Object.keys(body).length !== 1) throw refuse(400, 'send { sealed: true } or { sealed: false } alone', 'sealed');
          const { sealed: _was, ...rest } = panel.config();
          const result = checkImport(body.sealed ? { ...rest, sealed: true } : rest, options.pinRules);
          if (!result.ok) throw new Refusal(400, result.errors);
          save(result.config, body.sealed ? 'sealed mode on: the panel encrypts what it publishes' : 'sealed mode off');
          return reply(200, { sealed: body.sealed });
        }
        if (body.revoke !== undefined && body.revoke !== true) throw refuse(400, 'must be true or left out', 'revoke');
        const { uplink: _old, sealed, ...cfg } = panel.config();
        const key = body.revoke ? undefined : encodeKey(host.randomBytes(32));
        // A new key keeps sealed mode; removing the key ends it (its key is derived from the uplink key).
        const result = checkImport(key ? { ...cfg, uplink: key, ...(sealed ? { sealed } : {}) } : cfg, options.pinRules);
        if (!result.ok) throw new Refusal(400, result.errors);
        save(result.config, key ? 'new uplink key' : 'uplink key removed: the panel publishes unauthenticated');
        // The one time the key leaves the panel: the page shows it for the monitors, then forgets it.
        return reply(200, key ? { uplink: key } : { revoked: true });
      },
    },
    '/api/log': {
      methods: ['GET'],
      run: (request) => {
        const max = Number(query(request.path, 'max') ?? 100);
        if (!Number.isInteger(max) || max < 1 || max > 1000) throw refuse(400, 'must be a whole number from 1 to 1000', 'max');
        return reply(200, { lastSeq: panel.status().lastSeq, events: panel.events(max) });
      },
    },
    '/api/log/export': {
      methods: ['GET'],
      run: () => download(panel.exportLog(), 'application/octet-stream', `${panel.config().panel.id}-events.log`),
    },
  };

  return (request) => {
    try {
      // Before anything else: a request for another name (DNS rebinding) learns nothing.
      const head = checkHead(request.method, request.headers, options.names());
      if (head) throw refuse(head.status, head.message);
      const path = typeof request.path === 'string' ? request.path.split('?')[0] : '';
      const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
      if (!route) throw refuse(404, `no such page: ${path.slice(0, 64)}`);
      if (!route.methods.includes(request.method)) throw refuse(405, `use ${route.methods.join(' or ')}`, '', { allow: route.methods.join(', ') });
      const changes = request.method !== 'GET';
      const session = sessions.find(cookie(request.headers, COOKIE));
      if (!route.open && !session) throw refuse(401, 'log in with the installer code first');
      if (changes && session && path !== '/api/login') {
        const token = request.headers['x-csrf-token'] ?? '';
        if (!sameHash(token, session.csrf)) throw refuse(403, 'the request has no valid CSRF token; reload the page');
      }
      return route.run(request, session);
    } catch (err) {
      if (err instanceof Refusal) {
        const headers: Record<string, string> = err.extra.allow ? { allow: String(err.extra.allow) } : {};
        const { allow: _allow, ...extra } = err.extra;
        return reply(err.status, { errors: err.errors, ...extra }, headers);
      }
      host.log(`portal: internal error: ${(err as Error)?.message ?? String(err)}`);
      return reply(500, { errors: [{ field: '', message: 'internal error' }] });
    }
  };
}

