// One step in the making: a private copy of the state that the rules change, and the
// effects they produce. `finish` turns it into the step's answer.
import type { ContactIdCode, PanelEvent, Qualifier } from './events';
import type { Effect, Now, Reason, Result, StepResult } from './io';
import type { Settings, ZoneSettings } from './settings';
import { closedZone, type State, type ZoneState } from './state';

/** One-shot sounds; they never interrupt an alarm, an exit or an entry beep. */
export type Cue = 'chirp_arm' | 'chirp_disarm' | 'chime' | 'warning';

export interface Draft {
  settings: Settings;
  /** The new state, a copy: rules change it freely. */
  s: State;
  now: Now;
  /** Uptime (ms) of what is being handled: a deadline that fell due, or now. */
  at: number;
  events: Effect[];
  cue?: Cue;
  result?: Result;
}

function copy(state: State): State {
  const zones: Record<number, ZoneState> = {};
  for (const key of Object.keys(state.zones)) zones[Number(key)] = { ...state.zones[Number(key)] };
  const s: State = { ...state, zones };
  if (state.siren) s.siren = { ...state.siren };
  if (state.resume) s.resume = { ...state.resume, events: state.resume.events.slice() };
  return s;
}

/** Structural equality of plain data. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function begin(settings: Settings, state: State, now: Now): Draft {
  return { settings, s: copy(state), now, at: now.uptime, events: [] };
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

export const zoneSettings = (d: Draft, n: number): ZoneSettings | undefined => d.settings.zones.find((z) => z.number === n);

/** The zone's state in the draft (a zone added by new settings starts closed). */
export function zoneState(d: Draft, n: number): ZoneState {
  return d.s.zones[n] ?? (d.s.zones[n] = closedZone());
}

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
  // The uplink flag is neither persisted nor published: it alone is no change to report.
  const changed = !same({ ...old, uplink: undefined }, { ...d.s, uplink: undefined });
  if (changed) effects.push({ type: 'state_changed' });
  return { state: changed || old.uplink !== d.s.uplink ? d.s : old, effects };
}
