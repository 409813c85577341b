// Set-up mode that repairs: the portal of a panel whose config cannot be used (it does not
// validate, or flash lost it). The panel is not protecting, so this portal has one job: let
// the installer in, show what is wrong, and take a fixed config or a factory reset, then
// restart. The installer logs in with the code of the config on flash, when its installer
// part is still readable (whatever else is wrong); when none is, a factory reset is open to
// whoever is on the set-up network (its WPA2 password was printed at the first boot).
// The same guards as the portal: our own names only, Origin on changes, a session with its
// CSRF token, code entries limited per client.
import { firstBootConfig, type PanelConfig } from '../config';
import { hashCode, isValidCode, sameHash, type FieldError } from '../core/settings';
import { fromUtf8, utf8 } from '../text';
import { bodyLimit, type PortalHandler, type PortalRequest, type PortalResponse } from './http';
import { applyForm, checkImport, SECRETS_LEFT_OUT } from './form';
import { checkHead } from './names';
import { hash } from './page';
import { Sessions, type PortalSession } from './sessions';
import { CodeThrottle } from './throttle';

export interface RepairOptions {
  panelId: string;
  /** Why the config cannot be used, one sentence each. */
  problems: readonly string[];
  /** The installer part of the config on flash, if it is still readable. */
  installer: PanelConfig['installer'] | undefined;
  names: () => readonly string[];
  pinRules?: (pins: PanelConfig['pins']) => string[];
  /** The board's default pins, for an erased or imported config (default: the ESP32's). */
  defaultPins?: PanelConfig['pins'];
  randomBytes(n: number): Uint8Array;
  uptime(): number;
  log(line: string): void;
  /** Saves a whole, validated config for the next boot. */
  save(config: PanelConfig): void;
  /** Restarts the panel (called once the answer is out: PortalResponse.after). */
  restart(): void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hexOf = (v: unknown, length: number) => typeof v === 'string' && new RegExp(`^[0-9a-f]{${length}}$`).test(v);

/** The installer part of a config that may not validate as a whole, if it is well formed. */
export function readableInstaller(raw: unknown): PanelConfig['installer'] | undefined {
  const i = isObj(raw) && isObj(raw.installer) ? raw.installer : undefined;
  if (!i || typeof i.salt !== 'string' || !/^[0-9a-f]{8,64}$/.test(i.salt) || !hexOf(i.codeHash, 64)) return undefined;
  return { salt: i.salt, codeHash: i.codeHash as string };
}

const COOKIE = 'repair';

const json = (status: number, value: unknown, headers: Record<string, string> = {}): PortalResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
  body: utf8(JSON.stringify(value)),
});
const fail = (status: number, message: string, field = '') => json(status, { errors: [{ field, message }] });

const style = 'body{font:15px/1.45 system-ui,sans-serif;max-width:40em;margin:1em auto;padding:0 1em}li{margin:.3em 0}.err{color:#b00020}.ok{color:#146c2e}button{font:inherit;margin:.3em 0}';
const script = String.raw`
var C=document.documentElement.dataset.csrf,$=function(s){return document.querySelector(s)};
function api(p,b,raw){return fetch(p,{method:'POST',headers:{'content-type':'application/json','x-csrf-token':C||''},body:raw!=null?raw:JSON.stringify(b||{})}).then(function(r){return r.json().then(function(j){j.status=r.status;return j})})}
function txt(r){return(r.errors||[]).map(function(x){return(x.field?x.field+': ':'')+x.message}).join('; ')}
function say(t,ok){var m=$('#m');m.textContent=t;m.className=ok?'ok':'err'}
$('#lf').onsubmit=function(e){e.preventDefault();api('/api/login',{code:$('#lc').value}).then(function(r){if(r.csrf)location.reload();else say(txt(r))})};
$('#im').onchange=function(e){var f=e.target.files[0];if(!f)return;f.text().then(function(t){return api('/api/config/import',null,t)}).then(function(r){say(r.status==200?'Saved. The panel restarts now with this config.':'Not saved: '+txt(r),r.status==200)})};
$('#fr').onclick=function(){if(!confirm('Erase the config and start as a new panel, with new codes?'))return;api('/api/factory-reset',{erase:true}).then(function(r){if(r.status!=200)return say(txt(r));say('Erased. New codes, shown this once: installer '+r.installerCode+', master '+r.masterCode+'. The panel restarts now.',true)})};
`;
const policy = () => `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The repair portal's handler. */
export function createRepairPortal(o: RepairOptions): PortalHandler {
  const sessions = new Sessions((n) => o.randomBytes(n), o.uptime, 15 * 60_000, 2, 12 * 3_600_000);
  const throttle = new CodeThrottle(o.uptime);
  const canLogIn = o.installer !== undefined;

  const page = (session: PortalSession | undefined): PortalResponse => {
    const inside = session !== undefined || !canLogIn;
    const problems = inside ? `<ul>${o.problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul>` : '';
    const body = [
      `<h1>Alarm panel ${escape(o.panelId)}: NOT PROTECTING</h1>`,
      '<p>Its config cannot be used. Log in with the installer code, then import a good config (an export, or a whole config) or erase it all (factory reset). The panel restarts after either.</p>',
      canLogIn && !session ? '<form id=lf><label>Installer code <input id=lc type=password inputmode=numeric autocomplete=off></label> <button>Log in</button></form>' : '<form id=lf hidden></form>',
      canLogIn ? '' : '<p class=err>No installer code is readable on flash: a factory reset is the way out.</p>',
      problems,
      inside ? '<p><label>Import a config <input id=im type=file accept=".json,application/json"></label></p><p><button id=fr type=button>Factory reset…</button></p>' : '<input id=im type=file hidden><button id=fr hidden></button>',
      '<p id=m></p>',
    ].join('');
    const html = `<!doctype html><html lang=en data-csrf="${session?.csrf ?? ''}"><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1"><title>Alarm panel: set-up</title><style>${style}</style></head><body>${body}<script>${script}</script></body></html>`;
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-security-policy': policy() },
      body: utf8(html),
    };
  };

  const parse = (request: PortalRequest): unknown => {
    const limit = bodyLimit(request.path);
    if (request.body.byteLength > limit) throw fail(413, `the request body is over ${limit} bytes`);
    if ((request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') throw fail(415, 'send the body as application/json');
    try {
      return JSON.parse(fromUtf8(request.body));
    } catch {
      throw fail(400, 'the body is not valid JSON');
    }
  };

  /** Saves and restarts: the way out of this mode. */
  const done = (config: PanelConfig, what: string, answer: Obj): PortalResponse => {
    try {
      o.save(config);
    } catch (err) {
      o.log(`set-up: ${what}: not saved: ${(err as Error).message}`);
      return fail(500, `the config could not be saved: ${(err as Error).message}`);
    }
    o.log(`set-up: ${what}; restarting`);
    sessions.closeAll();
    return { ...json(200, { ...answer, restarting: true }), after: () => o.restart() }; // once the answer is out
  };

  /** An import: a whole config, or an export (secrets left out: every user then needs a code, and the installer code is kept or given). */
  const importConfig = (raw: unknown): PortalResponse => {
    if (isObj(raw) && raw.secrets === SECRETS_LEFT_OUT) {
      if (!isObj(raw.config)) return fail(400, 'an export holds the config under "config"', 'config');
      const base = firstBootConfig(o.panelId, (n) => o.randomBytes(n), o.defaultPins).config;
      const installerCode = isObj(raw.config.installer) ? raw.config.installer.code : undefined;
      if (!o.installer && !isValidCode(installerCode)) return fail(400, 'give the installer code for this panel (4 to 8 digits)', 'config.installer.code');
      const current: PanelConfig = { ...base, alarm: { ...base.alarm, users: [] }, remote: {}, installer: o.installer ?? base.installer };
      const result = applyForm(current, raw.config, (n) => o.randomBytes(n), o.pinRules);
      if (!result.ok) return json(400, { errors: result.errors.map((e: FieldError) => ({ ...e, field: e.field ? `config.${e.field}` : 'config' })) });
      return done(result.config, 'config imported from an export', {});
    }
    const result = checkImport(raw, o.pinRules);
    if (!result.ok) return json(400, { errors: result.errors });
    return done(result.config, 'config imported', {});
  };

  return (request) => {
    try {
      const head = checkHead(request.method, request.headers, o.names());
      if (head) return fail(head.status, head.message);
      const path = request.path.split('?')[0];
      let token: string | undefined;
      for (const part of (request.headers.cookie ?? '').split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === COOKIE) token = part.slice(eq + 1).trim();
      }
      const session = sessions.find(token);
      if (request.method === 'GET') return path === '/' ? page(session) : fail(404, 'set-up mode: only / and its API');
      if (request.method !== 'POST') return fail(405, 'use GET or POST');
      if (path === '/api/login') {
        if (!o.installer) return fail(409, 'no installer code is readable on flash: use the factory reset');
        const client = typeof request.client === 'string' && request.client ? request.client : '?';
        const wait = Math.ceil(throttle.wait(client) / 1000);
        if (wait > 0) return json(429, { errors: [{ field: 'code', message: `Too many wrong codes from this device: try again in ${wait} s.` }], wait });
        const body = parse(request);
        const code = isObj(body) ? body.code : undefined;
        if (!isValidCode(code) || !sameHash(hashCode(code, o.installer.salt), o.installer.codeHash)) {
          throttle.wrong(client);
          o.log('set-up: installer login refused');
          return fail(401, 'Wrong installer code.', 'code');
        }
        throttle.right(client);
        const s = sessions.open();
        o.log('set-up: installer logged in');
        return json(200, { csrf: s.csrf }, { 'set-cookie': `${COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict` });
      }
      if (path !== '/api/config/import' && path !== '/api/factory-reset') return fail(404, 'no such page');
      // With an installer code on flash, changes need its session and CSRF token.
      if (canLogIn) {
        if (!session) return fail(401, 'log in with the installer code first');
        if (!sameHash(request.headers['x-csrf-token'] ?? '', session.csrf)) return fail(403, 'the request has no valid CSRF token; reload the page');
      }
      const body = parse(request);
      if (path === '/api/config/import') return importConfig(body);
      if (!isObj(body) || body.erase !== true) return fail(400, 'send { "erase": true } to erase the config', 'erase');
      const first = firstBootConfig(o.panelId, (n) => o.randomBytes(n), o.defaultPins);
      // The new codes go to whoever asked, once (as a new key does), never to the console.
      return done(first.config, 'factory reset', { installerCode: first.installerCode, masterCode: first.masterCode });
    } catch (err) {
      if (isObj(err) && typeof (err as { status?: unknown }).status === 'number') return err as unknown as PortalResponse;
      o.log(`set-up: internal error: ${(err as Error)?.message ?? String(err)}`);
      return fail(500, 'internal error');
    }
  };
}
