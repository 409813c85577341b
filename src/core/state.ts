// The core's state, what of it survives a power cut, and how it comes back.
//
// State is plain data (numbers, strings, booleans, arrays, plain objects) and is never
// changed in place: `step` returns a new state. Times in it are uptimes of the current
// boot; they mean nothing after a restart, so `persisted` leaves them out.
import { armedModes, type ArmedMode, type Settings } from './settings';
import type { ContactIdCode } from './events';

export const modes = Object.freeze(['disarmed', 'arming', 'armed_away', 'armed_home', 'armed_night', 'pending', 'triggered'] as const);
export type Mode = (typeof modes)[number];

export interface ZoneState {
  open: boolean;
  /** Tamper or fault contact active. */
  fault: boolean;
  bypassed: boolean;
  /** The zone caused an alarm since the last disarm. */
  memory: boolean;
  /** The alarm code to restore (q3) at disarm: 130, 134, 122 or 123; 0 for none. */
  restore: number;
  /** Alarms this armed period (swinger shutdown). */
  alarms: number;
}

/** What the boot step still owes after initialState or restore. */
export interface Resume {
  /** An alarm's siren run was not over at the power cut. */
  siren: boolean;
  /** The code entry points were locked at the power cut. */
  lock: boolean;
  /** Events owed by the restore (closing of an interrupted exit delay, the entry alarm). */
  events: Array<{ code: ContactIdCode; q: 1 | 3; zone?: number; user?: number }>;
}

export interface State {
  mode: Mode;
  /** The armed mode the panel is in or heading to (arming, armed_*, pending, triggered). */
  armedMode?: ArmedMode;
  /** Who armed: the closing (401/441 q3) is reported when the exit delay ends. */
  user?: number;
  /** End of the exit delay (arming) or the entry delay (pending), uptime ms. */
  deadline?: number;
  /** The delayed zone that started the entry delay. */
  entryZone?: number;
  /** The alarm siren: started at `from`, stops at `until` (uptime ms). */
  siren?: { from: number; until: number };
  /** Keyed by zone number. */
  zones: Record<number, ZoneState>;
  /** Wrong codes in a row. */
  wrongCodes: number;
  /** Code entry points are locked until this uptime (ms). */
  lockedUntil?: number;
  /** The last sequence number used. */
  seq: number;
  /** Boot count of this run. */
  boot: number;
  /** Uplink up (true), down (false) or not yet known this boot. */
  uplink?: boolean;
  /** Present until the boot step has run. */
  resume?: Resume;
}

export const closedZone = (): ZoneState => ({ open: false, fault: false, bypassed: false, memory: false, restore: 0, alarms: 0 });

/** A new panel: disarmed, sequence numbers from 1. `boot` is the host's boot count. */
export function initialState(settings: Settings, boot: number): State {
  const zones: Record<number, ZoneState> = {};
  for (const z of settings.zones) zones[z.number] = closedZone();
  return { mode: 'disarmed', zones, wrongCodes: 0, seq: 0, boot, resume: { siren: false, lock: false, events: [] } };
}

/** What a host saves after each `state_changed`: small, plain, JSON and CBOR friendly. */
export interface Persisted {
  v: 1;
  mode: Mode;
  armedMode?: ArmedMode;
  user?: number;
  entryZone?: number;
  /** The alarm's siren run was not over (it sounds again, capped, after a restart). */
  siren: boolean;
  /** [zone, code to restore at disarm (0: none)] for each zone in alarm memory. */
  memory: number[][];
  bypassed: number[];
  /** [zone, alarms this armed period] where non-zero. */
  swinger: number[][];
  wrongCodes: number;
  locked: boolean;
  /** The last sequence number used. */
  seq: number;
}

export function persisted(state: State): Persisted {
  const p: Persisted = {
    v: 1, mode: state.mode, siren: false, memory: [], bypassed: [], swinger: [],
    wrongCodes: state.wrongCodes, locked: state.lockedUntil !== undefined || !!state.resume?.lock, seq: state.seq,
  };
  if (state.armedMode) p.armedMode = state.armedMode;
  if (state.user !== undefined) p.user = state.user;
  if (state.entryZone !== undefined) p.entryZone = state.entryZone;
  p.siren = state.siren !== undefined || !!state.resume?.siren;
  // Most zones have nothing to keep: looked at without an array of their keys made.
  for (const key in state.zones) {
    const z = state.zones[key];
    if (!z.memory && !z.bypassed && !(z.alarms > 0)) continue;
    const n = Number(key);
    if (z.memory) p.memory.push([n, z.restore]);
    if (z.bypassed) p.bypassed.push(n);
    if (z.alarms > 0) p.swinger.push([n, z.alarms]);
  }
  return p;
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const pairs = (v: unknown): v is number[][] => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(count));

/** Checks persisted data; throws an Error naming the first bad field. */
function check(raw: unknown): Persisted {
  const p = raw as Persisted;
  const bad = (field: string) => { throw new Error(`cannot restore the panel state: ${field} is malformed`); };
  if (typeof raw !== 'object' || raw === null) bad('the record');
  if (p.v !== 1) bad('v (version)');
  if (!(modes as readonly string[]).includes(p.mode)) bad('mode');
  if (p.armedMode !== undefined && !(armedModes as readonly string[]).includes(p.armedMode)) bad('armedMode');
  if (p.user !== undefined && !count(p.user)) bad('user');
  if (p.entryZone !== undefined && !count(p.entryZone)) bad('entryZone');
  if (typeof p.siren !== 'boolean') bad('siren');
  if (!pairs(p.memory)) bad('memory');
  if (!Array.isArray(p.bypassed) || !p.bypassed.every(count)) bad('bypassed');
  if (!pairs(p.swinger)) bad('swinger');
  if (!count(p.wrongCodes)) bad('wrongCodes');
  if (typeof p.locked !== 'boolean') bad('locked');
  if (!count(p.seq)) bad('seq');
  return p;
}

/**
 * The state after a power cycle. It never lowers the security state: armed stays armed,
 * arming completes to its target, pending and triggered come back as triggered with alarm
 * memory. An alarm whose siren run was not over sounds again, capped by the siren time; the
 * wrong-code counter and the lock survive (the lock runs its full 90 s again, since the time
 * spent without power is unknown); sequence numbers continue. The boot step (the first step)
 * logs 305 and what the restore owes. Throws on malformed data.
 */
export function restore(settings: Settings, raw: unknown, boot: number): State {
  const p = check(raw);
  const state = initialState(settings, boot);
  const known = (n: number) => state.zones[n] !== undefined;
  const armedMode: ArmedMode = p.armedMode ?? 'armed_away';
  const resume: Resume = { siren: p.siren, lock: p.locked, events: [] };
  state.seq = p.seq;
  state.wrongCodes = p.wrongCodes;
  for (const [n, code] of p.memory) if (known(n)) Object.assign(state.zones[n], { memory: true, restore: code });
  for (const n of p.bypassed) if (known(n)) state.zones[n].bypassed = true;
  for (const [n, alarms] of p.swinger) if (known(n)) state.zones[n].alarms = alarms;
  switch (p.mode) {
    case 'disarmed':
      state.mode = 'disarmed';
      break;
    case 'arming': // the exit delay is over by now: the closing is reported at boot
      state.mode = armedMode;
      state.armedMode = armedMode;
      resume.events.push({ code: armedMode === 'armed_away' ? 401 : 441, q: 3, ...(p.user !== undefined ? { user: p.user } : {}) });
      break;
    case 'pending': // the entry delay ran out during the power cut: that is an entry alarm
      state.mode = 'triggered';
      state.armedMode = armedMode;
      resume.siren = true;
      if (p.entryZone !== undefined && known(p.entryZone)) {
        Object.assign(state.zones[p.entryZone], { memory: true, restore: 134 });
        resume.events.push({ code: 134, q: 1, zone: p.entryZone });
      }
      break;
    default: // armed_* and triggered stay as they were
      state.mode = p.mode;
      state.armedMode = armedMode;
  }
  state.resume = resume;
  return state;
}
