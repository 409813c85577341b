// The config as the portal's page sees it, and the page's edits turned back into a config.
//
// Secrets never go to the page: Wi-Fi and broker passwords, the broker's client key, code
// hashes and salts, remote keys and the installer code stay on the panel. The page gets the
// rest of the config plus a list of the secrets that are set, and sends back the same shape
// with each secret either left out ('' or absent: keep it), null (remove it) or new text.
import type { FieldError, PanelConfig } from '../config';
import { inputKindNames, parseCounters, validateConfig } from '../config';
import { hashCode, isValidCode, type UserSettings } from '../core/settings';
import { zoneTypeRules, zoneTypes } from '../core/zone-types';
import { toHex } from '../text';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ConfigView {
  /** The config without its secrets. */
  config: unknown;
  /** Paths of the secrets that are set, e.g. "wifi.password", "alarm.users[0].duressCode", "remote.1". */
  set: string[];
  /** Sealed mode (config.sealed): not a secret, but set with the uplink key, not in the form. */
  sealed: boolean;
  /** The kinds of input a zone can be wired to, and their lists under `pins` (the drivers' table). */
  kinds: Array<{ kind: string; key: string; title: string }>;
  /** The zone types in the core's table, with what the form needs of each. */
  types: Array<{ type: string; always: boolean; silent: boolean; sirenWhenDisarmed: boolean }>;
}

export function configView(config: PanelConfig): ConfigView {
  const set: string[] = [];
  const { password: wifiPassword, ...wifi } = config.wifi;
  if (wifiPassword) set.push('wifi.password');
  const { password, key, ...broker } = config.broker;
  if (password) set.push('broker.password');
  if (key) set.push('broker.key');
  const users = config.alarm.users.map((u, i) => {
    set.push(`alarm.users[${i}].code`);
    if (u.duressHash) set.push(`alarm.users[${i}].duressCode`);
    return { number: u.number, name: u.name, role: u.role };
  });
  for (const user of Object.keys(config.remote)) set.push(`remote.${user}`);
  if (config.uplink) set.push('uplink');
  return {
    config: {
      v: config.v, panel: config.panel, wifi, broker, alarm: { ...config.alarm, users }, pins: config.pins,
      homeAssistant: config.homeAssistant,
    },
    set,
    sealed: config.sealed === true,
    kinds: inputKindNames(),
    types: zoneTypes.map((type) => {
      const { always, silent, sirenWhenDisarmed } = zoneTypeRules[type];
      return { type, always, silent, sirenWhenDisarmed };
    }),
  };
}

/** `toHex(randomBytes(16))`: a fresh salt for every code that is set. */
export const newSalt = (randomBytes: (n: number) => Uint8Array): string => toHex(randomBytes(16));

export type FormResult = { ok: true; config: PanelConfig } | { ok: false; errors: FieldError[] };

/**
 * A secret field of the form: absent or '' keeps the old value, null removes it, text
 * replaces it. Anything else is an error.
 */
function secret(form: Obj, key: string, old: string | undefined, field: string, errors: FieldError[]): string | undefined {
  const v = form[key];
  if (v === undefined || v === '') return old;
  if (v === null) return undefined;
  if (typeof v === 'string') return v;
  errors.push({ field, message: 'must be text (leave it empty to keep the one that is set)' });
  return old;
}

/** Messages of the pin checks start with the path they are about ("doors[0].pin must …"). */
export function pinField(error: FieldError): FieldError {
  if (error.field !== 'pins') return error;
  const lists = inputKindNames().map((k) => k.key).join('|'); // keys are plain words
  const m = new RegExp(`^((?:${lists})\\[\\d+\\](?:\\.\\w+)?|siren(?:\\.\\w+)?) `).exec(error.message) ?? / used twice: \S+ and (\S+)$/.exec(error.message);
  return m ? { field: `pins.${m[1]}`, message: error.message } : error;
}

function mergeUsers(current: PanelConfig, raw: unknown, randomBytes: (n: number) => Uint8Array, errors: FieldError[]): unknown {
  if (!Array.isArray(raw)) return raw; // validateConfig names it
  return raw.map((u: unknown, i: number) => {
    const at = `alarm.users[${i}]`;
    if (!isObj(u)) return u;
    const { code, duressCode, salt: _s, codeHash: _c, duressHash: _d, ...rest } = u;
    for (const key of ['salt', 'codeHash', 'duressHash']) {
      if (key in u) errors.push({ field: `${at}.${key}`, message: 'codes are set as code and duressCode; the panel hashes them' });
    }
    const old: UserSettings | undefined = current.alarm.users.find((o) => o.number === u.number);
    for (const [v, field] of [[code, 'code'], [duressCode, 'duressCode']] as const) {
      if (v !== undefined && v !== null && v !== '' && !isValidCode(v)) errors.push({ field: `${at}.${field}`, message: 'must be 4 to 8 digits' });
    }
    const newCode = isValidCode(code) ? code : undefined;
    const newDuress = isValidCode(duressCode) ? duressCode : undefined;
    const dropDuress = duressCode === null;
    if (!old) {
      if (!newCode) {
        if (code === undefined || code === '') errors.push({ field: `${at}.code`, message: 'a new user needs a code' });
        return rest;
      }
    } else if (!newCode && !newDuress) {
      // Unchanged codes: the old hashes, under the old salt (or without the duress code).
      const kept: Obj = { ...rest, salt: old.salt, codeHash: old.codeHash };
      if (old.duressHash && !dropDuress) kept.duressHash = old.duressHash;
      return kept;
    } else if (!newCode) {
      errors.push({ field: `${at}.code`, message: 'type the code too: a new duress code is hashed with a fresh salt, and so must the code be' });
      return rest;
    } else if (old.duressHash && !newDuress && !dropDuress) {
      errors.push({ field: `${at}.duressCode`, message: 'type the duress code again (or remove it): a new code gets a fresh salt, and so must the duress code' });
      return rest;
    }
    if (newDuress !== undefined && newDuress === newCode) {
      errors.push({ field: `${at}.duressCode`, message: 'the duress code must differ from the code' });
      return rest;
    }
    const salt = newSalt(randomBytes);
    const user: Obj = { ...rest, salt, codeHash: hashCode(newCode!, salt) };
    if (newDuress) user.duressHash = hashCode(newDuress, salt);
    return user;
  });
}

/**
 * The page's form applied to the current config: secrets merged as above, codes hashed with
 * fresh salts, remote keys of removed users dropped, and the whole checked by validateConfig.
 * Errors name the form's fields (the config's paths); nothing is changed here.
 */
export function applyForm(
  current: PanelConfig, form: unknown, randomBytes: (n: number) => Uint8Array,
  pinRules?: (pins: PanelConfig['pins']) => string[],
): FormResult {
  if (!isObj(form)) return { ok: false, errors: [{ field: '', message: 'the form must be a JSON object' }] };
  const errors: FieldError[] = [];
  const known = ['v', 'panel', 'wifi', 'broker', 'alarm', 'pins', 'homeAssistant', 'installer'];
  for (const k of Object.keys(form)) if (!known.includes(k)) errors.push({ field: k, message: 'unknown field' });

  const wifiForm = isObj(form.wifi) ? form.wifi : {};
  if (form.wifi !== undefined && !isObj(form.wifi)) errors.push({ field: 'wifi', message: 'must be an object' });
  const wifi = { ...wifiForm, password: secret(wifiForm, 'password', current.wifi.password, 'wifi.password', errors) ?? '' };

  let broker: unknown = form.broker;
  if (isObj(form.broker)) {
    const b: Obj = { ...form.broker };
    for (const key of ['password', 'key'] as const) {
      const v = secret(form.broker, key, current.broker[key], `broker.${key}`, errors);
      if (v === undefined) delete b[key];
      else b[key] = v;
    }
    for (const key of ['username', 'ca', 'cert'] as const) if (b[key] === '' || b[key] === null) delete b[key];
    broker = b;
  }

  let alarm: unknown = form.alarm;
  if (isObj(form.alarm)) alarm = { ...form.alarm, users: mergeUsers(current, form.alarm.users, randomBytes, errors) };

  // Remote keys stay on the panel (made and revoked on their own); a removed user's key goes with them.
  const numbers = isObj(form.alarm) && Array.isArray(form.alarm.users) ? form.alarm.users.map((u: unknown) => String(isObj(u) ? u.number : '')) : [];
  const remote: Record<string, string> = {};
  for (const [user, key] of Object.entries(current.remote)) if (numbers.includes(user)) remote[user] = key;

  let installer = current.installer;
  if (form.installer !== undefined) {
    const code = isObj(form.installer) ? form.installer.code : undefined;
    if (!isObj(form.installer) || Object.keys(form.installer).some((k) => k !== 'code')) {
      errors.push({ field: 'installer', message: 'only the installer code can be changed here: { code }' });
    } else if (code !== undefined && code !== '') {
      if (!isValidCode(code)) errors.push({ field: 'installer.code', message: 'must be 4 to 8 digits' });
      else {
        const salt = newSalt(randomBytes);
        installer = { salt, codeHash: hashCode(code, salt) };
      }
    }
  }

  const raw = {
    v: form.v ?? 1, panel: form.panel, wifi, broker, alarm, pins: form.pins, remote, uplink: current.uplink, ...(current.sealed ? { sealed: true } : {}), installer,
    homeAssistant: form.homeAssistant,
  };
  const checked = validateConfig(raw);
  // A user whose code was refused above has no hash yet: the hash errors would only repeat it.
  const refusedUser = (field: string) => /^alarm\.users\[\d+\]\.(salt|codeHash|duressHash)$/.test(field) &&
    errors.some((e) => e.field.startsWith(field.slice(0, field.lastIndexOf('.') + 1)));
  if (!checked.ok) errors.push(...checked.errors.filter((e) => !refusedUser(e.field)).map(pinField));
  if (checked.ok && pinRules) errors.push(...pinRules(checked.config.pins).map((message) => pinField({ field: 'pins', message })));
  if (errors.length > 0 || !checked.ok) return { ok: false, errors };
  return checked;
}

/** What an export says of its secrets. */
export const SECRETS_LEFT_OUT = 'left out';

/**
 * The config export: the config as the page sees it, without a single secret, and saying so.
 * Code hashes are left out because 4–8 digits fall to an offline search in seconds whatever
 * the hash; remote keys, the installer code and the passwords because a file gets copied.
 * (Encrypting them under a passphrase needs an AEAD: @noble/ciphers, not installed yet.)
 */
export function exportDocument(config: PanelConfig): Obj {
  const view = configView(config);
  return {
    secrets: SECRETS_LEFT_OUT,
    note: 'This export holds no secret: no code (nor its hash), no remote key, no installer code, no Wi-Fi or broker '
      + 'password, no client key. Imported into this panel, each user keeps their code and key and the panel keeps '
      + 'its passwords. Imported into another panel, a user that panel does not have needs a "code" (4 to 8 digits) '
      + 'in this file, and the keys and passwords must be entered again.',
    set: view.set,
    config: view.config,
  };
}

/**
 * An import: an export (secrets left out: the panel keeps its own, merged as a save from the
 * page is) or a whole config with its secrets (checked as it is).
 */
export function importDocument(
  current: PanelConfig, raw: unknown, randomBytes: (n: number) => Uint8Array,
  pinRules?: (pins: PanelConfig['pins']) => string[],
): FormResult {
  if (isObj(raw) && raw.secrets === SECRETS_LEFT_OUT) {
    if (!isObj(raw.config)) return { ok: false, errors: [{ field: 'config', message: 'an export holds the config under "config"' }] };
    const result = applyForm(current, raw.config, randomBytes, pinRules);
    return result.ok ? result : { ok: false, errors: result.errors.map((e) => ({ ...e, field: e.field ? `config.${e.field}` : 'config' })) };
  }
  return checkImport(raw, pinRules);
}

/** A whole config from an import: checked as it is (with the host's pin rules), secrets and all. */
export function checkImport(raw: unknown, pinRules?: (pins: PanelConfig['pins']) => string[]): FormResult {
  const checked = validateConfig(raw);
  if (!checked.ok) return { ok: false, errors: checked.errors.map(pinField) };
  const problems = pinRules ? pinRules(checked.config.pins) : [];
  if (problems.length) return { ok: false, errors: problems.map((message) => pinField({ field: 'pins', message })) };
  return checked;
}

/**
 * An import's command counters (`counters`, beside the config's own fields, as the export writes
 * them), apart from the config; undefined when the file has none (an export from older firmware).
 */
export function splitCounters(raw: unknown): { config: unknown; counters?: ReturnType<typeof parseCounters> } {
  if (!isObj(raw) || !('counters' in raw)) return { config: raw };
  const { counters, ...config } = raw;
  return { config, counters: parseCounters(counters) };
}
