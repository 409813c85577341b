// The panel's whole configuration: one document, checked as a whole, saved atomically.
//
// The portal edits it, export/import moves it, and the app opens everything from it. Each
// part is checked by the module that owns it (alarm settings by the core, pins by the
// drivers); this file adds the rest and the links between parts.
import { hashCode, validateSettings, type FieldError, type Settings } from './core/settings';
import { defaultPinConfig, pinConfigProblems, type PinConfig } from '../drivers/config';
import { decodeKey } from './uplink/keys';
import { toHex } from './text';

export type { FieldError };

export interface BrokerConfig {
  /** `mqtt://host:port` or `mqtts://host:port`; empty: no uplink (the panel still protects). */
  url: string;
  username?: string;
  password?: string;
  /** PEM: the CA that signed the broker's certificate (mqtts). */
  ca?: string;
  /** PEM client certificate and key, for brokers that want them (AWS IoT). */
  cert?: string;
  key?: string;
  prefix: string;
  version: 'auto' | 5 | 4;
  /** Seconds. */
  keepalive: number;
}

export interface PanelConfig {
  v: 1;
  panel: { id: string; name: string };
  /** Station Wi-Fi (ESP32 only; the simulator ignores it). */
  wifi: { ssid: string; password: string };
  broker: BrokerConfig;
  alarm: Settings;
  pins: PinConfig;
  /** Remote-command keys by user number: 256 bits, base64url. Never sent over MQTT. */
  remote: Record<string, string>;
  /**
   * The uplink key: 256 bits, base64url. With it the panel authenticates everything it publishes
   * (uplink-auth.ts) and monitors holding it can tell what the broker forged. Never sent over MQTT.
   */
  uplink?: string;
  /**
   * Sealed mode (off unless true; needs the uplink key): everything the panel authenticates is also
   * encrypted (COSE_Encrypt0, ChaCha20-Poly1305, uplink-auth.ts), so the broker learns only topics
   * and sizes. Travels with the uplink key: set in the portal, kept by the panel on an import of an export.
   */
  sealed?: boolean;
  /** The installer's portal login: hashCode(code, salt), as users' codes. */
  installer: { salt: string; codeHash: string };
  homeAssistant: { enabled: boolean; user?: number; discoveryPrefix: string };
}

export type ConfigCheck = { ok: true; config: PanelConfig } | { ok: false; errors: FieldError[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number) => typeof v === 'string' && v.length <= max;
const topicSafe = (text: string): boolean => /^[A-Za-z0-9_-]{1,32}$/.test(text);

export interface BrokerTarget { host: string; port: number; tls: boolean }

/** Host, port and TLS from a broker URL, or a sentence saying what is wrong with it. */
export function parseBrokerUrl(url: string): BrokerTarget | string {
  const m = /^(mqtts?):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (!m) return 'must look like mqtt://host:1883 or mqtts://host:8883';
  const tls = m[1] === 'mqtts';
  const port = m[3] === undefined ? (tls ? 8883 : 1883) : Number(m[3]);
  if (port < 1 || port > 65535) return `port ${port} is not between 1 and 65535`;
  return { host: m[2].replace(/^\[|\]$/g, ''), port, tls };
}

function checkBroker(raw: unknown, errors: FieldError[]): BrokerConfig {
  const fail = (field: string, message: string) => errors.push({ field: `broker.${field}`, message });
  const b = isObj(raw) ? raw : (fail('', 'must be an object'), {});
  const broker: BrokerConfig = {
    url: typeof b.url === 'string' ? b.url.trim() : '',
    prefix: b.prefix === undefined ? 'alarm' : String(b.prefix),
    version: b.version === undefined ? 'auto' : (b.version as BrokerConfig['version']),
    keepalive: b.keepalive === undefined ? 30 : (b.keepalive as number),
  };
  if (b.url !== undefined && typeof b.url !== 'string') fail('url', 'must be text');
  else if (broker.url !== '') {
    const target = parseBrokerUrl(broker.url);
    if (typeof target === 'string') fail('url', target);
  }
  for (const key of ['username', 'password', 'ca', 'cert', 'key'] as const) {
    const v = b[key];
    if (v === undefined || v === '') continue;
    const max = key === 'username' || key === 'password' ? 256 : 8192;
    if (!text(v, max)) fail(key, `must be text of at most ${max} characters`);
    else broker[key] = v as string;
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    if (broker[key] !== undefined && !/-----BEGIN [A-Z ]+-----/.test(broker[key]!)) fail(key, 'must be PEM (-----BEGIN …-----)');
  }
  if (broker.password !== undefined && broker.username === undefined) fail('username', 'a broker password needs a user name');
  if ((broker.cert === undefined) !== (broker.key === undefined)) fail(broker.cert ? 'key' : 'cert', 'a client certificate needs its key, and a key its certificate');
  if (!topicSafe(broker.prefix)) fail('prefix', 'must be 1–32 letters, digits, - or _');
  if (broker.version !== 'auto' && broker.version !== 5 && broker.version !== 4) fail('version', 'must be "auto", 5 or 4 (3.1.1)');
  if (!Number.isInteger(broker.keepalive) || broker.keepalive < 10 || broker.keepalive > 600) fail('keepalive', 'must be between 10 and 600 seconds');
  return broker;
}

/** Checks a whole config (from the portal, an import or flash); every error names its field. */
export function validateConfig(raw: unknown): ConfigCheck {
  if (!isObj(raw)) return { ok: false, errors: [{ field: '', message: 'the config must be a JSON object' }] };
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  const known = ['v', 'panel', 'wifi', 'broker', 'alarm', 'pins', 'remote', 'uplink', 'sealed', 'installer', 'homeAssistant'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) fail(k, 'unknown field');
  if (raw.v !== 1) fail('v', 'must be 1 (this firmware reads config version 1)');

  const panel = isObj(raw.panel) ? raw.panel : {};
  if (typeof panel.id !== 'string' || !topicSafe(panel.id)) fail('panel.id', 'must be 1–32 letters, digits, - or _ (it is part of every topic)');
  if (panel.name !== undefined && (!text(panel.name, 32) || panel.name === '')) fail('panel.name', 'must be 1–32 characters');

  const wifi = isObj(raw.wifi) ? raw.wifi : {};
  if (!text(wifi.ssid ?? '', 32)) fail('wifi.ssid', 'must be at most 32 characters');
  const wifiPassword = wifi.password ?? '';
  if (typeof wifiPassword !== 'string' || (wifiPassword !== '' && (wifiPassword.length < 8 || wifiPassword.length > 63))) {
    fail('wifi.password', 'must be empty (open network) or 8–63 characters (WPA2)');
  }

  const broker = checkBroker(raw.broker ?? {}, errors);

  const alarm = validateSettings(raw.alarm);
  if (!alarm.ok) for (const e of alarm.errors) fail(e.field ? `alarm.${e.field}` : 'alarm', e.message);

  for (const problem of pinConfigProblems(raw.pins)) fail('pins', problem);
  if (alarm.ok && errors.every((e) => e.field !== 'pins')) {
    const pins = raw.pins as unknown as PinConfig;
    const wired = new Set([...(pins.doors ?? []), ...(pins.motion ?? [])].map((z) => z.zone));
    for (const z of alarm.settings.zones) if (!wired.has(z.number)) fail('pins', `zone ${z.number} (${z.name}) has no input pin`);
    for (const n of wired) if (!alarm.settings.zones.some((z) => z.number === n)) fail('pins', `a pin is wired to zone ${n}, which is not a zone of the panel`);
  }

  const remote: Record<string, string> = {};
  if (raw.remote !== undefined && !isObj(raw.remote)) fail('remote', 'must map user numbers to keys');
  for (const [user, key] of Object.entries(isObj(raw.remote) ? raw.remote : {})) {
    if (alarm.ok && !alarm.settings.users.some((u) => String(u.number) === user)) fail(`remote.${user}`, `there is no user ${user}`);
    if (typeof key !== 'string' || !decodeKey(key)) fail(`remote.${user}`, 'must be a 256-bit key in base64url (43 characters)');
    else remote[user] = key;
  }

  if (raw.uplink !== undefined && (typeof raw.uplink !== 'string' || !decodeKey(raw.uplink))) {
    fail('uplink', 'must be a 256-bit key in base64url (43 characters)');
  }
  if (raw.sealed !== undefined && typeof raw.sealed !== 'boolean') fail('sealed', 'must be true or false');
  else if (raw.sealed === true && raw.uplink === undefined) fail('sealed', 'needs an uplink key (the sealed key is derived from it)');

  const installer = isObj(raw.installer) ? raw.installer : {};
  if (typeof installer.salt !== 'string' || !/^([0-9a-f]{2}){4,32}$/.test(installer.salt)) fail('installer.salt', 'must be 4–32 bytes of lowercase hex');
  if (typeof installer.codeHash !== 'string' || !/^[0-9a-f]{64}$/.test(installer.codeHash)) fail('installer.codeHash', 'must be a SHA-256 hash (64 hex digits)');

  const ha = isObj(raw.homeAssistant) ? raw.homeAssistant : {};
  const homeAssistant = {
    enabled: ha.enabled === true,
    discoveryPrefix: ha.discoveryPrefix === undefined ? 'homeassistant' : String(ha.discoveryPrefix),
  } as PanelConfig['homeAssistant'];
  if (ha.enabled !== undefined && typeof ha.enabled !== 'boolean') fail('homeAssistant.enabled', 'must be true or false');
  if (!topicSafe(homeAssistant.discoveryPrefix)) fail('homeAssistant.discoveryPrefix', 'must be 1–32 letters, digits, - or _');
  if (ha.user !== undefined) {
    const user = alarm.ok ? alarm.settings.users.find((u) => u.number === ha.user) : undefined;
    if (!user) fail('homeAssistant.user', `there is no user ${String(ha.user)}`);
    else homeAssistant.user = user.number;
  }
  if (homeAssistant.enabled && homeAssistant.user === undefined) fail('homeAssistant.user', 'Home Assistant needs a user of its own (its permissions and the lockout apply)');

  if (errors.length > 0 || !alarm.ok) return { ok: false, errors };
  return {
    ok: true,
    config: {
      v: 1,
      panel: { id: panel.id as string, name: (panel.name as string | undefined) ?? `Panel ${panel.id as string}` },
      wifi: { ssid: (wifi.ssid as string | undefined) ?? '', password: wifiPassword as string },
      broker,
      alarm: alarm.settings,
      pins: raw.pins as unknown as PinConfig,
      remote,
      ...(typeof raw.uplink === 'string' ? { uplink: raw.uplink } : {}),
      ...(raw.sealed === true ? { sealed: true } : {}),
      installer: { salt: installer.salt as string, codeHash: installer.codeHash as string },
      homeAssistant,
    },
  };
}

/** Last accepted command counter per user number; null: lost, the user is refused until re-keyed. */
export type Counters = Record<string, number | null>;

/** Counters as saved on flash and carried in a config export; every error names its user. */
export function parseCounters(raw: unknown): { ok: true; counters: Counters } | { ok: false; errors: FieldError[] } {
  if (!isObj(raw)) return { ok: false, errors: [{ field: 'counters', message: 'must map user numbers to counters' }] };
  const counters: Counters = {};
  const errors: FieldError[] = [];
  for (const [user, value] of Object.entries(raw)) {
    if (!/^[1-9][0-9]{0,2}$/.test(user)) errors.push({ field: `counters.${user}`, message: 'not a user number (1–999)' });
    else if (value !== null && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      errors.push({ field: `counters.${user}`, message: 'must be a counter (a whole number ≥ 0) or null (lost)' });
    } else counters[user] = value as number | null;
  }
  return errors.length ? { ok: false, errors } : { ok: true, counters };
}

/** A code of `digits` decimal digits from random bytes (rejection sampling: no bias). */
export function randomCode(randomBytes: (n: number) => Uint8Array, digits: number): string {
  let code = '';
  while (code.length < digits) {
    for (const b of randomBytes(digits)) if (b < 250 && code.length < digits) code += String(b % 10);
  }
  return code;
}


export interface FirstBoot {
  config: PanelConfig;
  /** Shown once on the console: the installer's portal login and the master user's code. */
  installerCode: string;
  masterCode: string;
}

/**
 * The config of a panel that has never been set up: the default pins and zones, no broker,
 * and codes made up for this panel alone (never a factory default anyone could look up).
 */
export function firstBootConfig(panelId: string, randomBytes: (n: number) => Uint8Array, pins: PinConfig = defaultPinConfig): FirstBoot {
  const installerCode = randomCode(randomBytes, 6);
  const masterCode = randomCode(randomBytes, 6);
  const installerSalt = toHex(randomBytes(16));
  const masterSalt = toHex(randomBytes(16));
  const raw = {
    v: 1,
    panel: { id: panelId, name: 'Alarm panel' },
    wifi: { ssid: '', password: '' },
    broker: { url: '', prefix: 'alarm', version: 'auto', keepalive: 30 },
    alarm: {
      zones: [
        { number: 1, name: 'Front door', type: 'delayed', chime: true },
        { number: 2, name: 'Hall motion', type: 'follower' },
      ],
      users: [{ number: 1, name: 'Owner', role: 'master', salt: masterSalt, codeHash: hashCode(masterCode, masterSalt) }],
    },
    pins,
    remote: {},
    installer: { salt: installerSalt, codeHash: hashCode(installerCode, installerSalt) },
    homeAssistant: { enabled: false },
  };
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(`first-boot config is invalid: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  return { config: checked.config, installerCode, masterCode };
}
