// One step in the making: a private copy of the state that the rules change, and the
// effects they produce. `finish` turns it into the step's answer.
import type { ContactIdCode, PanelEvent, Qualifier } from './events';
import type { Effect, Now, Reason, Result, StepResult } from './io';
import type { Settings, ZoneSettings } from './settings';
import { zoneOf } from './settings';
import { closedZone, type State, type ZoneState } from './state';

/** One-shot sounds; they never interrupt an alarm, an exit or an entry beep. */
export type Cue = 'chirp_arm' | 'chirp_disarm' | 'chime' | 'warning';

export interface Draft {
  settings: Settings;
  /** The new state: a shallow copy; zone states are copied when first written (see `zoneState`). */
  s: State;
  now: Now;
  /** Uptime (ms) of what is being handled: a deadline that fell due, or now. */
  at: number;
  events: Effect[];
  cue?: Cue;
  result?: Result;
  /** Zones whose state this step copied, to write and later compare. */
  touched: number[];
  /** The set of zones changed (new settings). */
  reshaped: boolean;
}

export function begin(settings: Settings, state: State, now: Now): Draft {
  return { settings, s: { ...state }, now, at: now.uptime, events: [], touched: [], reshaped: false };
}

/**
 * The zone's state, ready to be changed: copied on first write, so that a step costs what it
 * touches and not what the panel has (a zone added by new settings starts closed).
 */
export function zoneState(d: Draft, n: number): ZoneState {
  if (d.touched.length === 0 && !d.reshaped) d.s.zones = { ...d.s.zones };
  if (!d.touched.includes(n)) {
    d.touched.push(n);
    d.s.zones[n] = { ...(d.s.zones[n] ?? closedZone()) };
  }
  return d.s.zones[n];
}

/** Zone numbers added or removed (new settings). */
export function reshapeZones(d: Draft, zones: Record<number, ZoneState>): void {
  d.s.zones = zones;
  d.reshaped = true;
}

const fields = Object.freeze(['mode', 'armedMode', 'user', 'deadline', 'entryZone', 'wrongCodes', 'lockedUntil', 'seq', 'boot', 'resume'] as const);
const zoneFields = Object.freeze(['open', 'fault', 'bypassed', 'memory', 'restore', 'alarms'] as const);

/** Did the step change what is persisted or published? (The uplink flag is neither.) */
function changed(d: Draft, old: State): boolean {
  const s = d.s;
  if (d.reshaped) return true;
  for (const f of fields) if (old[f] !== s[f]) return true;
  if (old.siren?.from !== s.siren?.from || old.siren?.until !== s.siren?.until) return true;
  for (const n of d.touched) {
    const was = old.zones[n];
    if (!was) return true;
    for (const f of zoneFields) if (was[f] !== s.zones[n][f]) return true;
  }
  return false;
}

/** Logs a Contact ID event with the next sequence number. */
export function log(d: Draft, code: ContactIdCode, q: Qualifier, who: { zone?: number; user?: number } = {}): void {
  d.s.seq += 1;
  const event: PanelEvent = { seq: d.s.seq, boot: d.s.boot, uptime: d.at, code, q };
  if (d.now.time !== undefined) event.time = d.now.time;
  if (who.zone !== undefined) event.zone = who.zone;
  if (who.user !== undefined) event.user = who.user;
  d.events.push({ type: 'event', event });
}

export const ok = (d: Draft): void => { d.result = { type: 'result', ok: true }; };
export const refuse = (d: Draft, reason: Reason, zones?: number[]): void => {
  d.result = zones ? { type: 'result', ok: false, reason, zones } : { type: 'result', ok: false, reason };
};

export const zoneSettings = (d: Draft, n: number): ZoneSettings | undefined => zoneOf(d.settings, n);

/** What the siren should be doing in a state: the alarm run, exit or entry beeps, or nothing. */
function sound(s: State): string {
  if (s.siren) return `alarm@${s.siren.from}`;
  if (s.mode === 'arming') return 'exit_beep';
  if (s.mode === 'pending') return 'entry_beep';
  return '';
}

/** Assembles the effects: events in order, then the siren, the result, and `state_changed`. */
export function finish(d: Draft, old: State): StepResult<State> {
  const effects = d.events;
  const before = sound(old);
  const after = sound(d.s);
  if (after === '' && d.cue) effects.push({ type: 'siren', on: true, pattern: d.cue });
  else if (after !== before) {
    effects.push(after === '' ? { type: 'siren', on: false }
      : { type: 'siren', on: true, pattern: after.startsWith('alarm') ? 'alarm' : after as 'exit_beep' | 'entry_beep' });
  }
  if (d.result) effects.push(d.result);
  const change = changed(d, old);
  if (change) effects.push({ type: 'state_changed' });
  return { state: change || old.uplink !== d.s.uplink ? d.s : old, effects };
}
