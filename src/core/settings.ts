// The core's settings: zones, timers per mode, siren, users and their codes.
//
// `validateSettings` is the only way in: raw data from the portal or the journal is checked
// field by field, defaults are filled in, and every problem is named by its path.
import { sha256 } from '../hash';
import { fromHex, toHex } from '../text';
import { typesWith, zoneType, zoneTypes, type ZoneType } from './zone-types';

export const armedModes = Object.freeze(['armed_away', 'armed_home', 'armed_night'] as const);
export type ArmedMode = (typeof armedModes)[number];

/** The zone types and what each does: ./zone-types. */
export { zoneTypes, type ZoneType };

export const roles = Object.freeze(['master', 'user', 'arm-only'] as const);
export type Role = (typeof roles)[number];

export interface ZoneSettings {
  /** 1-based; Contact ID carries zones as three digits, so 1–999. */
  number: number;
  name: string;
  type: ZoneType;
  /** Armed modes in which the zone is watched. 24h and panic zones are watched in every state. */
  modes: ArmedMode[];
  /** Delayed and instant zones only: a chime when the zone opens while disarmed. */
  chime: boolean;
  /** Panic zones only: report 122 and keep the siren quiet. */
  silent?: boolean;
  /** 24h zones only: sound the siren for a tamper while disarmed (otherwise a local warning). */
  sirenWhenDisarmed?: boolean;
}

export interface ModeTimers {
  /** Seconds, 0–255. */
  exitDelay: number;
  /** Seconds, 0–45 (EN 50131 grade 2). */
  entryDelay: number;
}

export interface UserSettings {
  /** 1-based; 1–999 as Contact ID carries it. */
  number: number;
  name: string;
  role: Role;
  /** Hex, per user. */
  salt: string;
  /** hashCode(code, salt), hex. */
  codeHash: string;
  /** hashCode(duress code, salt), hex: disarms like the code and sends a silent 121. */
  duressHash?: string;
}

export interface Settings {
  zones: ZoneSettings[];
  timers: Record<ArmedMode, ModeTimers>;
  /** Seconds the siren sounds for one alarm, 120–900: never "until disarm". */
  sirenTime: number;
  /** Alarms per zone per armed period before the zone is bypassed, 1–10. */
  swingerLimit: number;
  users: UserSettings[];
}

/** Ranges and defaults (seconds). */
export const limits = Object.freeze({
  exitDelay: Object.freeze({ min: 0, max: 255, default: 30 } as const),
  entryDelay: Object.freeze({ min: 0, max: 45, default: 30 } as const),
  sirenTime: Object.freeze({ min: 120, max: 900, default: 180 } as const),
  swingerLimit: Object.freeze({ min: 1, max: 10, default: 3 } as const),
  number: Object.freeze({ min: 1, max: 999 } as const),
  zones: 64,
  users: 32,
  name: 32,
} as const);

/** Zone `n`'s settings, or undefined. A plain loop: asked on the siren's path, no closure called per zone. */
export function zoneOf(settings: Settings, n: number): ZoneSettings | undefined {
  const zones = settings.zones;
  for (let i = 0; i < zones.length; i++) if (zones[i].number === n) return zones[i];
  return undefined;
}

/** Wrong codes in a row that lock every code entry point, and for how long. */
export const lockout = Object.freeze({ attempts: 10, seconds: 90 } as const);

/** The modes a zone is watched in unless it lists its own (followers: not while people are home or asleep). */
export const defaultModes = (type: ZoneType): ArmedMode[] => [...(zoneType(type).defaultModes ?? armedModes)];

/** "a, b and c". */
const listed = (names: readonly string[], last: string): string =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${last} ${names[names.length - 1]}`;

export interface FieldError { field: string; message: string }
export type Validation = { ok: true; settings: Settings } | { ok: false; errors: FieldError[] };

// ---- codes ---------------------------------------------------------------------------------

/** 4–8 digits: at least 10,000 combinations (EN 50131 grade 2). */
export const isValidCode = (code: unknown): code is string => typeof code === 'string' && /^[0-9]{4,8}$/.test(code);

/**
 * SHA-256 over salt ‖ code, hex. Why a salted hash and not a slow KDF (PBKDF2, scrypt):
 * a code is 4–8 digits, 10^4–10^8 values, which no KDF cost an ESP32 can afford per keypad
 * press would protect from an offline search. The hash keeps codes out of plain sight in
 * flash and exports; what really stops guessing is the lockout (10 wrong → 90 s) at every
 * entry point. The salt keeps equal codes of two users from showing as equal hashes.
 */
export function hashCode(code: string, salt: string): string {
  if (!isValidCode(code)) throw new RangeError('a code is 4 to 8 digits');
  const s = fromHex(salt);
  const input = new Uint8Array(s.length + code.length);
  input.set(s);
  for (let i = 0; i < code.length; i++) input[s.length + i] = code.charCodeAt(i); // ASCII digits
  return toHex(sha256(input));
}

/** Equal hex strings in time that does not depend on where they differ. */
export function sameHash(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export interface NewUser {
  number: number;
  name?: string;
  role: Role;
  code: string;
  /** Random bytes as hex, from the host's RNG (the core has none). */
  salt: string;
  duressCode?: string;
}

/** A user record with hashed codes, for the portal and tests. Throws on a malformed code. */
export function makeUser(u: NewUser): UserSettings {
  if (u.duressCode !== undefined && u.duressCode === u.code) throw new RangeError('the duress code must differ from the code');
  const user: UserSettings = {
    number: u.number, name: u.name ?? `User ${u.number}`, role: u.role, salt: u.salt,
    codeHash: hashCode(u.code, u.salt),
  };
  if (u.duressCode !== undefined) user.duressHash = hashCode(u.duressCode, u.salt);
  return user;
}

// ---- validation ----------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hex = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max && v.length % 2 === 0 && /^[0-9a-f]*$/.test(v);

class Checker {
  errors: FieldError[] = [];
  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }
  /** Flags fields the settings do not know: a typo must not silently do nothing. */
  known(o: Obj, at: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(at ? `${at}.${k}` : k, 'unknown field');
  }
  int(v: unknown, field: string, range: { min: number; max: number; default?: number }): number | undefined {
    if (v === undefined && range.default !== undefined) return range.default;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(field, v === undefined ? 'is required' : 'must be a whole number');
    if (v < range.min || v > range.max) return this.fail(field, `must be between ${range.min} and ${range.max} (got ${v})`);
    return v;
  }
  bool(v: unknown, field: string, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false');
    return v === true;
  }
  name(v: unknown, field: string, fallback: string): string {
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v.trim() === '' || v.length > limits.name) {
      this.fail(field, `must be a non-empty text of at most ${limits.name} characters`);
      return fallback;
    }
    return v;
  }
  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T | undefined {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    return this.fail(field, v === undefined ? `is required: one of ${allowed.join(', ')}` : `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  }
  list(v: unknown, field: string, max: number): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) { this.fail(field, 'must be a list'); return []; }
    if (v.length > max) { this.fail(field, `at most ${max} entries (got ${v.length})`); return []; }
    return v;
  }
}

const zoneKeys = Object.freeze(['number', 'name', 'type', 'modes', 'chime', 'silent', 'sirenWhenDisarmed'] as const);
const userKeys = Object.freeze(['number', 'name', 'role', 'salt', 'codeHash', 'duressHash'] as const);

function checkZone(c: Checker, raw: unknown, at: string, index: number): ZoneSettings | undefined {
  if (!isObj(raw)) return c.fail(at, 'must be an object');
  c.known(raw, at, zoneKeys);
  const number = c.int(raw.number ?? index + 1, `${at}.number`, limits.number);
  const type = c.oneOf(raw.type, `${at}.type`, zoneTypes);
  const rules = type ? zoneType(type) : undefined;
  const alwaysWatched = rules?.always === true;
  let modes: ArmedMode[] = type ? defaultModes(type) : [];
  if (raw.modes !== undefined) {
    // The settings this returns list every mode for such a zone: a saved config must read back.
    const everyMode = Array.isArray(raw.modes) && raw.modes.length === armedModes.length && armedModes.every((m) => (raw.modes as unknown[]).includes(m));
    if (alwaysWatched && !everyMode) c.fail(`${at}.modes`, `a ${type} zone is watched in every state: leave modes out`);
    else if (alwaysWatched) { /* every mode: what it is anyway */ }
    else if (!Array.isArray(raw.modes)) c.fail(`${at}.modes`, `must be a list of ${armedModes.join(', ')}`);
    else {
      modes = [];
      raw.modes.forEach((m, i) => {
        const mode = c.oneOf(m, `${at}.modes[${i}]`, armedModes);
        if (mode && modes.includes(mode)) c.fail(`${at}.modes[${i}]`, `${mode} is listed twice`);
        else if (mode) modes.push(mode);
      });
    }
  }
  const chime = c.bool(raw.chime, `${at}.chime`, false);
  if (chime && rules && !rules.chime) c.fail(`${at}.chime`, `only ${listed(typesWith('chime'), 'and')} zones chime`);
  const zone: ZoneSettings = { number: number ?? 0, name: c.name(raw.name, `${at}.name`, `Zone ${number}`), type: type ?? 'instant', modes, chime };
  if (raw.silent !== undefined) {
    zone.silent = c.bool(raw.silent, `${at}.silent`, false);
    if (rules && !rules.silent) c.fail(`${at}.silent`, `only a ${listed(typesWith('silent'), 'or')} zone can be silent`);
  }
  if (raw.sirenWhenDisarmed !== undefined) {
    zone.sirenWhenDisarmed = c.bool(raw.sirenWhenDisarmed, `${at}.sirenWhenDisarmed`, false);
    if (rules && !rules.sirenWhenDisarmed) c.fail(`${at}.sirenWhenDisarmed`, `only a ${listed(typesWith('sirenWhenDisarmed'), 'or')} zone sounds the siren while disarmed`);
  }
  return number === undefined || type === undefined ? undefined : zone;
}

function checkTimers(c: Checker, raw: unknown): Record<ArmedMode, ModeTimers> {
  const timers = {} as Record<ArmedMode, ModeTimers>;
  const given = raw === undefined ? {} : raw;
  if (!isObj(given)) c.fail('timers', `must be an object keyed by ${armedModes.join(', ')}`);
  else c.known(given, 'timers', armedModes);
  for (const mode of armedModes) {
    const t = isObj(given) ? given[mode] ?? {} : {};
    const at = `timers.${mode}`;
    if (!isObj(t)) { c.fail(at, 'must be an object with exitDelay and entryDelay'); continue; }
    c.known(t, at, ['exitDelay', 'entryDelay']);
    timers[mode] = {
      exitDelay: c.int(t.exitDelay, `${at}.exitDelay`, limits.exitDelay) ?? limits.exitDelay.default,
      entryDelay: c.int(t.entryDelay, `${at}.entryDelay`, limits.entryDelay) ?? limits.entryDelay.default,
    };
  }
  return timers;
}

function checkUser(c: Checker, raw: unknown, at: string, index: number): UserSettings | undefined {
  if (!isObj(raw)) return c.fail(at, 'must be an object');
  c.known(raw, at, userKeys);
  const number = c.int(raw.number ?? index + 1, `${at}.number`, limits.number);
  const role = c.oneOf(raw.role, `${at}.role`, roles);
  const name = c.name(raw.name, `${at}.name`, `User ${number}`);
  if (!hex(raw.salt, 8, 64)) c.fail(`${at}.salt`, 'must be 4 to 32 bytes as lowercase hex');
  if (!hex(raw.codeHash, 64, 64)) c.fail(`${at}.codeHash`, 'must be a SHA-256 hash as 64 lowercase hex digits (see hashCode)');
  if (raw.duressHash !== undefined) {
    if (!hex(raw.duressHash, 64, 64)) c.fail(`${at}.duressHash`, 'must be a SHA-256 hash as 64 lowercase hex digits (see hashCode)');
    else if (raw.duressHash === raw.codeHash) c.fail(`${at}.duressHash`, 'the duress code must differ from the code');
  }
  if (number === undefined || role === undefined || c.errors.some((e) => e.field.startsWith(`${at}.`))) return undefined;
  const user: UserSettings = { number, name, role, salt: raw.salt as string, codeHash: raw.codeHash as string };
  if (raw.duressHash !== undefined) user.duressHash = raw.duressHash as string;
  return user;
}

function unique(c: Checker, items: Array<{ number: number } | undefined>, list: string): void {
  const seen = new Map<number, number>();
  items.forEach((item, i) => {
    if (!item) return;
    const first = seen.get(item.number);
    if (first !== undefined) c.fail(`${list}[${i}].number`, `${item.number} is already used by ${list}[${first}]`);
    else seen.set(item.number, i);
  });
}

/** Checks raw settings and fills in the defaults; every error names its field. Changes nothing. */
export function validateSettings(raw: unknown): Validation {
  const c = new Checker();
  if (!isObj(raw)) return { ok: false, errors: [{ field: '', message: 'settings must be an object' }] };
  c.known(raw, '', ['zones', 'timers', 'sirenTime', 'swingerLimit', 'users']);
  const zones = c.list(raw.zones, 'zones', limits.zones).map((z, i) => checkZone(c, z, `zones[${i}]`, i));
  unique(c, zones, 'zones');
  const timers = checkTimers(c, raw.timers);
  const sirenTime = c.int(raw.sirenTime, 'sirenTime', limits.sirenTime);
  const swingerLimit = c.int(raw.swingerLimit, 'swingerLimit', limits.swingerLimit);
  if (raw.users === undefined) c.fail('users', 'is required: at least one master user');
  const users = c.list(raw.users, 'users', limits.users).map((u, i) => checkUser(c, u, `users[${i}]`, i));
  unique(c, users, 'users');
  if (raw.users !== undefined && !users.some((u) => u?.role === 'master') && c.errors.length === 0) {
    c.fail('users', 'at least one user must be a master (someone must be able to disarm and manage the panel)');
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return {
    ok: true,
    settings: {
      zones: zones as ZoneSettings[], timers, sirenTime: sirenTime!, swingerLimit: swingerLimit!,
      users: users as UserSettings[],
    },
  };
}
