// Remote commands and their replies (the `{p}/{id}/cmd` and `{p}/{id}/reply` topics).
//
// A command is a CBOR map (command.cddl) inside a COSE_Mac0 (cose.ts). This module answers one
// question: did a user who holds a key send this, fresh, and is it well formed? What the user
// may do (roles, lockout, open zones) is the core's decision, made after this one.
//
// Contract for the caller (the panel's command handler):
//  1. `authenticateCommand` only reads: it changes nothing, whatever the bytes.
//  2. On `ok`, persist `counter` as the user's last counter *before* acting on the command and
//     whatever the core then decides: a command the core refused (zones open, not permitted)
//     must not be replayable later, and a crash between acting and persisting must not reopen it.
//  3. On a refusal, persist nothing: a forged or stale command must not move the counter (a
//     forged high counter would otherwise lock the user out). Reply with `refusalReply`.
import { encodeCbor, decodeCbor } from './cbor';
import { signMac0, verifyMac0 } from './cose';
import { NONCE_BYTES } from './nonce';

export const COMMAND_VERSION = 1;
/** Larger messages are refused before any parsing; a real command is about 100 bytes. */
export const MAX_COMMAND_BYTES = 256;
/** The SIA DC-09 receiver window, applied once the panel's clock is set (without one: the nonce, nonce.ts). */
export const MAX_AGE_SECONDS = 40;
export const MAX_AHEAD_SECONDS = 20;
export const MAX_USER = 999;
export const MAX_ZONE = 255;
const MAX_ID = 0xffffffff;

export const commandActions = Object.freeze([
  'arm_away', 'arm_home', 'arm_night', 'disarm', 'bypass', 'unbypass', 'silence', 'log_export', 'test',
] as const);
export type CommandAction = (typeof commandActions)[number];

const armActions: readonly string[] = Object.freeze(['arm_away', 'arm_home', 'arm_night']);
const zoneActions: readonly string[] = Object.freeze(['bypass', 'unbypass']);

/** Keys of the command map (command.cddl). */
export const CommandKey = Object.freeze({ v: 0, id: 1, action: 2, counter: 3, time: 4, zone: 5, force: 6, nonce: 7 } as const);
/** Keys of the reply map (command.cddl). */
export const ReplyKey = Object.freeze({ v: 0, id: 1, ok: 2, reason: 3, detail: 4, state: 5, zones: 6, chunks: 7 } as const);

export interface CommandArgs {
  /** bypass / unbypass: the zone number (1-based). */
  zone?: number;
  /** arm_*: bypass open zones instead of refusing (always a boolean for arm actions). */
  force?: boolean;
}

export interface Command {
  /** Chosen by the sender, echoed in the reply. */
  id: number;
  action: CommandAction;
  args: CommandArgs;
  /** Per user, strictly increasing: a counter at or below the last accepted one is a replay. */
  counter: number;
  /** The sender's wall time, Unix seconds. */
  time: number;
  /** The panel's nonce (`{p}/{id}/nonce`): required while the panel's clock is unset. */
  nonce?: Uint8Array;
}

/** Refusals decided here; the core adds its own (`not_permitted`, `locked_out`, `zones_open` …). */
export type AuthRefusal = 'malformed' | 'bad_mac' | 'unknown_key' | 'replay' | 'stale' | 'future' | 'unknown_action' | 'counter_lost';

export type Authenticated = { ok: true; user: number; kid: Uint8Array } & Command;
export interface Refused {
  ok: false;
  reason: AuthRefusal;
  /** Specific and safe to publish: names the field or the check, never key material. */
  detail: string;
  /** The command's id when it could be read (even from an unauthenticated payload, for the echo). */
  id?: number;
}
export type AuthResult = Authenticated | Refused;

export interface AuthOptions {
  /** The user's 256-bit key, or undefined when the user has none (or no remote access). */
  keyFor(user: number): Uint8Array | undefined;
  /**
   * The last accepted counter of the user; 0 when none was ever accepted; null when the panel
   * lost it (an unreadable counters blob): replays cannot be told apart, so the user is refused.
   */
  lastCounter(user: number): number | null;
  /** The panel's wall time in Unix seconds, undefined while its clock is not set. */
  now: number | undefined;
  /** Whether `nonce` is the panel's current nonce (or the previous one, within its grace). */
  nonceFresh?(nonce: Uint8Array): boolean;
}

// ---- kid: the user number in decimal ASCII ("7" names user 7) ------------------------------
// Short, readable in any COSE tool's output, and what cose-js and others take as a string kid.

export function kidForUser(user: number): Uint8Array {
  const digits = String(user);
  const kid = new Uint8Array(digits.length);
  for (let i = 0; i < digits.length; i++) kid[i] = digits.charCodeAt(i);
  return kid;
}

/** The user a kid names: 1–3 decimal digits, no sign, no leading zero; undefined otherwise. */
export function userForKid(kid: Uint8Array): number | undefined {
  if (kid.length < 1 || kid.length > 3 || kid[0] === 0x30) return undefined;
  let user = 0;
  for (const c of kid) {
    if (c < 0x30 || c > 0x39) return undefined;
    user = user * 10 + (c - 0x30);
  }
  return user;
}

function showKid(kid: Uint8Array): string {
  let s = '';
  for (const c of kid) s += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : '?';
  return `"${s}"`;
}

// ---- the command payload -----------------------------------------------------------------

const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/**
 * An unsigned integer whatever its CBOR width: cbor-x decodes a uint64 (0x1b) as a BigInt, which
 * the CDDL allows for any uint. Returns the number, 'big' above 2^53 − 1, undefined when not a uint.
 */
function wireUint(v: unknown): number | 'big' | undefined {
  if (typeof v === 'bigint') return v < 0n ? undefined : v > MAX_SAFE ? 'big' : Number(v);
  return isUint(v) ? v : undefined;
}
const TWO_32 = 4294967296;
/** cbor-x writes a number of 2^32 and above as a float64: a BigInt makes it the uint64 the CDDL names. */
const uintOut = (n: number): number | bigint => (n >= TWO_32 ? BigInt(n) : n);
const isAction = (v: string): v is CommandAction => (commandActions as readonly string[]).includes(v);
const knownCommandKeys = new Set<unknown>(Object.values(CommandKey));

export type DecodedCommand = { ok: true; command: Command } | Refused;

/** Reads a command payload (no MAC check: see `authenticateCommand`). */
export function decodeCommand(payload: Uint8Array): DecodedCommand {
  let map: unknown;
  try {
    map = decodeCbor(payload);
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `payload: ${(err as Error).message}` };
  }
  if (!(map instanceof Map)) return { ok: false, reason: 'malformed', detail: 'payload: not a CBOR map' };
  const rawId = map.get(CommandKey.id);
  const idValue = wireUint(rawId);
  const id = isUint(idValue, MAX_ID) ? idValue : undefined;
  const refuse = (reason: AuthRefusal, detail: string): Refused =>
    id === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, id };
  const malformed = (detail: string) => refuse('malformed', detail);

  for (const key of map.keys()) if (!knownCommandKeys.has(key)) return malformed(`payload: unknown field ${String(key)}`);
  const v = map.get(CommandKey.v);
  if (v === undefined) return malformed('v: missing');
  if (v !== COMMAND_VERSION) return malformed(`v: version ${String(v)} is not supported (1 is)`);
  if (rawId === undefined) return malformed('id: missing');
  if (id === undefined) return malformed('id: not an unsigned integer below 2^32');
  const action = map.get(CommandKey.action);
  if (action === undefined) return malformed('action: missing');
  if (typeof action !== 'string') return malformed('action: not a text string');
  const rawCounter = map.get(CommandKey.counter);
  if (rawCounter === undefined) return malformed('counter: missing');
  const counter = wireUint(rawCounter);
  if (counter === 'big') return malformed('counter: above 2^53 − 1 (9007199254740991), the largest counter this panel takes');
  if (counter === undefined) return malformed('counter: not an unsigned integer');
  const rawTime = map.get(CommandKey.time);
  if (rawTime === undefined) return malformed('time: missing');
  const time = wireUint(rawTime);
  if (time === undefined || time === 'big') return malformed('time: not Unix seconds (an unsigned integer below 2^53)');
  if (!isAction(action)) return refuse('unknown_action', `action: ${JSON.stringify(action.slice(0, 32))} is not a command`);

  const nonce = map.get(CommandKey.nonce);
  if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES)) {
    return malformed(`nonce: not a byte string of ${NONCE_BYTES} bytes`);
  }

  const args: CommandArgs = {};
  const rawZone = map.get(CommandKey.zone);
  const zone = typeof rawZone === 'bigint' ? wireUint(rawZone) : rawZone;
  if (zoneActions.includes(action)) {
    if (rawZone === undefined) return malformed(`zone: required for ${action}`);
    if (!isUint(zone, MAX_ZONE) || zone === 0) return malformed(`zone: not a zone number (1–${MAX_ZONE})`);
    args.zone = zone;
  } else if (rawZone !== undefined) {
    return malformed(`zone: not an argument of ${action}`);
  }
  const force = map.get(CommandKey.force);
  if (armActions.includes(action)) {
    if (force !== undefined && typeof force !== 'boolean') return malformed('force: not a boolean');
    args.force = force === true;
  } else if (force !== undefined) {
    return malformed(`force: not an argument of ${action}`);
  }
  const command: Command = { id, action, args, counter, time };
  if (nonce !== undefined) command.nonce = new Uint8Array(nonce);
  return { ok: true, command };
}

/** The command payload's bytes. Throws on a command the panel would refuse as malformed. */
export function encodeCommand(command: Command): Uint8Array {
  const map = new Map<number, unknown>([
    [CommandKey.v, COMMAND_VERSION],
    [CommandKey.id, command.id],
    [CommandKey.action, command.action],
    [CommandKey.counter, uintOut(command.counter)],
    [CommandKey.time, uintOut(command.time)],
  ]);
  if (command.args.zone !== undefined) map.set(CommandKey.zone, command.args.zone);
  if (command.args.force) map.set(CommandKey.force, true);
  if (command.nonce !== undefined) map.set(CommandKey.nonce, command.nonce);
  const bytes = encodeCbor(map);
  const check = decodeCommand(bytes);
  if (!check.ok) throw new RangeError(`invalid command: ${check.detail}`);
  return bytes;
}

/** A command as it travels on `{p}/{id}/cmd`: signed with the user's key, kid = user number. */
export function signCommand(command: Command, user: number, key: Uint8Array): Uint8Array {
  if (!isUint(user, MAX_USER) || user === 0) throw new RangeError(`user ${user} is not 1–${MAX_USER}`);
  return signMac0(encodeCommand(command), kidForUser(user), key);
}

function echoId(payload: Uint8Array | undefined): number | undefined {
  if (payload === undefined) return undefined;
  try {
    const map = decodeCbor(payload);
    const id = map instanceof Map ? wireUint(map.get(CommandKey.id)) : undefined;
    return isUint(id, MAX_ID) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides whether `bytes` (a `cmd` message) is an authentic, fresh, well-formed command.
 * Checks in order: size and envelope, kid → key, MAC, payload, counter, time window.
 */
export function authenticateCommand(bytes: Uint8Array, options: AuthOptions): AuthResult {
  if (bytes.length > MAX_COMMAND_BYTES) {
    return { ok: false, reason: 'malformed', detail: `command: ${bytes.length} bytes, more than ${MAX_COMMAND_BYTES}` };
  }
  const mac = verifyMac0(bytes, (kid) => {
    const user = userForKid(kid);
    return user === undefined ? undefined : options.keyFor(user);
  });
  if (!mac.ok) {
    const id = echoId(mac.unverifiedPayload);
    let detail = mac.detail;
    if (mac.reason === 'unknown_key' && mac.kid) {
      const user = userForKid(mac.kid);
      detail = user === undefined ? `kid ${showKid(mac.kid)} is not a user number` : `no key for user ${user}`;
    }
    return id === undefined ? { ok: false, reason: mac.reason, detail } : { ok: false, reason: mac.reason, detail, id };
  }
  const user = userForKid(mac.kid)!; // the kid named a key, so it is a user number

  const decoded = decodeCommand(mac.payload);
  if (!decoded.ok) return decoded;
  const { command } = decoded;
  const refuse = (reason: AuthRefusal, detail: string): Refused => ({ ok: false, reason, detail, id: command.id });

  const last = options.lastCounter(user);
  if (last === null) {
    return refuse('counter_lost', `the panel lost user ${user}'s command counter (unreadable on flash); its commands are refused until the user gets a new key in the portal`);
  }
  if (command.counter <= last) return refuse('replay', `counter: ${command.counter} is not above ${last}, the last accepted`);
  const { now } = options;
  if (now !== undefined) {
    const age = now - command.time;
    if (age > MAX_AGE_SECONDS) return refuse('stale', `time: ${age} s old, more than ${MAX_AGE_SECONDS}`);
    if (-age > MAX_AHEAD_SECONDS) return refuse('future', `time: ${-age} s ahead, more than ${MAX_AHEAD_SECONDS}`);
  } else if (command.nonce === undefined) {
    return refuse('stale', "nonce: missing; the panel's clock is not set, so a command must carry the panel's nonce ({p}/{id}/nonce)");
  } else if (!options.nonceFresh?.(command.nonce)) {
    return refuse('stale', "nonce: not the panel's current nonce (held back, or signed before the panel restarted)");
  }
  return { ok: true, user, kid: mac.kid, ...command };
}

// ---- replies --------------------------------------------------------------------------------

/** Why a command was refused: one of `AuthRefusal`, or a reason of the core, in snake_case. */
export type ReplyReason = AuthRefusal | 'not_permitted' | 'locked_out' | 'zones_open' | (string & {});

export interface Reply {
  /** The command's id; absent when it could not be read. */
  id?: number;
  ok: boolean;
  /** Present exactly when `ok` is false. */
  reason?: ReplyReason;
  detail?: string;
  /** The panel's state after the command (`disarmed`, `arming`, `armed_away` …). */
  state?: string;
  /** The zones a refusal is about (e.g. the open zones of `zones_open`). */
  zones?: number[];
  /** log_export: the chunks published on `{p}/{id}/log` (log-export.ts). */
  chunks?: number;
}

/** The reply to a command refused by `authenticateCommand`. */
export function refusalReply(refused: Refused): Reply {
  return { id: refused.id, ok: false, reason: refused.reason, detail: refused.detail };
}

export function encodeReply(reply: Reply): Uint8Array {
  const map = new Map<number, unknown>([[ReplyKey.v, COMMAND_VERSION]]);
  if (reply.id !== undefined) map.set(ReplyKey.id, reply.id);
  map.set(ReplyKey.ok, reply.ok);
  if (reply.reason !== undefined) map.set(ReplyKey.reason, reply.reason);
  if (reply.detail !== undefined) map.set(ReplyKey.detail, reply.detail);
  if (reply.state !== undefined) map.set(ReplyKey.state, reply.state);
  if (reply.zones !== undefined) map.set(ReplyKey.zones, reply.zones);
  if (reply.chunks !== undefined) map.set(ReplyKey.chunks, reply.chunks);
  return encodeCbor(map);
}

const knownReplyKeys = new Set<unknown>(Object.values(ReplyKey));
const reasonPattern = (text: string): boolean => /^[a-z][a-z0-9_]{0,31}$/.test(text);

/** Reads a reply (host side: the monitor and scripts); an error names what is wrong. */
export function decodeReply(bytes: Uint8Array): { reply: Reply } | { error: string } {
  let map: unknown;
  try {
    map = decodeCbor(bytes);
  } catch (err) {
    return { error: `reply: ${(err as Error).message}` };
  }
  if (!(map instanceof Map)) return { error: 'reply: not a CBOR map' };
  for (const key of map.keys()) if (!knownReplyKeys.has(key)) return { error: `reply: unknown field ${String(key)}` };
  if (map.get(ReplyKey.v) !== COMMAND_VERSION) return { error: `v: ${String(map.get(ReplyKey.v))} is not version 1` };
  const id = map.get(ReplyKey.id);
  if (id !== undefined && !isUint(id, MAX_ID)) return { error: 'id: not an unsigned integer below 2^32' };
  const ok = map.get(ReplyKey.ok);
  if (typeof ok !== 'boolean') return { error: 'ok: missing or not a boolean' };
  const reply: Reply = id === undefined ? { ok } : { id, ok };
  const reason = map.get(ReplyKey.reason);
  if (ok && reason !== undefined) return { error: 'reason: present on an accepted command' };
  if (!ok) {
    if (typeof reason !== 'string' || !reasonPattern(reason)) return { error: 'reason: missing or not a snake_case word' };
    reply.reason = reason;
  }
  for (const [name, key] of [['detail', ReplyKey.detail], ['state', ReplyKey.state]] as const) {
    const text = map.get(key);
    if (text === undefined) continue;
    if (typeof text !== 'string') return { error: `${name}: not a text string` };
    reply[name] = text;
  }
  const zones = map.get(ReplyKey.zones);
  if (zones !== undefined) {
    if (!Array.isArray(zones) || !zones.every((z) => isUint(z, MAX_ZONE) && z > 0)) return { error: 'zones: not a list of zone numbers' };
    reply.zones = zones as number[];
  }
  const chunks = map.get(ReplyKey.chunks);
  if (chunks !== undefined) {
    if (!isUint(chunks, 0xffff) || chunks === 0) return { error: 'chunks: not a count of 1–65535' };
    reply.chunks = chunks;
  }
  return { reply };
}
