// The alarm core: a pure function of (settings, state, input, now) → (state, effects).
//
// No timers, no I/O, no clock inside. The host keeps the state, calls `step` for every
// input, calls it with `{ type: 'tick' }` at or after `nextDeadline`, saves `persisted`
// and publishes `snapshot` after each `state_changed`, and carries out the effects.
import { ContactId } from './events';
import { entryEnd, opening, tamperInput, zoneInput } from './alarms';
import { exitEnd } from './arming';
import { begin, finish, log, ok, refuse, reshapeZones, type Draft } from './draft';
import type { Input, Now, StepResult } from './io';
import { lockout, zoneOf, type ArmedMode, type Settings, type ZoneType } from './settings';
import { closedZone, type Mode, type State, type ZoneState } from './state';
import { keypad, remote, unlock } from './users';
import { readinessAll, type Readiness } from './zones';

export { initialState, restore, persisted, type State, type Persisted, type Mode } from './state';
export type { Input, Effect, Now, Reason, Result, SirenPattern, StepResult } from './io';

/** The first step after initialState or restore: 305, and what a restore owes. */
function bootUp(d: Draft): void {
  const r = d.s.resume!;
  d.s.resume = undefined;
  log(d, ContactId.restart, 1);
  for (const e of r.events) log(d, e.code, e.q, e);
  if (r.lock) d.s.lockedUntil = d.at + lockout.seconds * 1000;
  if (r.siren) d.s.siren = { from: d.at, until: d.at + d.settings.sirenTime * 1000 };
}

type Due = 'siren' | 'lock' | 'delay';

/** The earliest deadline of a state (uptime ms), or undefined. Asked on every round: no objects made. */
function dueAt(s: State): number | undefined {
  let at = s.siren?.until;
  if (s.lockedUntil !== undefined && (at === undefined || s.lockedUntil < at)) at = s.lockedUntil;
  if (s.deadline !== undefined && (at === undefined || s.deadline < at)) at = s.deadline;
  return at;
}

/** What the deadline at `at` ends (the first of siren, lock, delay on a tie). */
const ending = (s: State, at: number): Due => (s.siren?.until === at ? 'siren' : s.lockedUntil === at ? 'lock' : 'delay');

/** Runs every deadline up to now, in time order, each at its own time. */
function expire(d: Draft): void {
  for (let at = dueAt(d.s); at !== undefined && at <= d.now.uptime; at = dueAt(d.s)) {
    d.at = at;
    const what = ending(d.s, at);
    if (what === 'siren') d.s.siren = undefined; // the cap: never "until disarm"
    else if (what === 'lock') unlock(d);
    else if (d.s.mode === 'arming') exitEnd(d);
    else if (d.s.mode === 'pending') entryEnd(d);
    else d.s.deadline = undefined;
  }
  d.at = d.now.uptime;
}

export function step(settings: Settings, state: State, input: Input, now: Now): StepResult<State> {
  const d = begin(settings, state, now);
  if (d.s.resume) bootUp(d);
  expire(d);
  switch (input?.type) {
    case 'zone': zoneInput(d, input.zone, input.open === true); break;
    case 'tamper': tamperInput(d, input.zone, input.active === true); break;
    case 'keypad': keypad(d, input); break;
    case 'remote': remote(d, input); break;
    case 'tick': case 'boot': break;
    case 'outbox_overflow': log(d, ContactId.logOverflow, 1); break;
    case 'test_report': log(d, ContactId.testReport, 1); break;
    case 'uplink':
      if (input.up && d.s.uplink === false) log(d, ContactId.uplinkTrouble, 3);
      if (!input.up && d.s.uplink !== false) log(d, ContactId.uplinkTrouble, 1);
      d.s.uplink = input.up === true;
      break;
    case 'config_changed': configChanged(d, input.user); break;
    default: refuse(d, 'invalid_input');
  }
  return finish(d, state);
}

/** New settings: zone state follows the zone list (removed zones go, new ones start closed). */
function configChanged(d: Draft, user: number | undefined): void {
  log(d, ContactId.configChanged, 1, user === undefined ? {} : { user });
  const zones: Record<number, ZoneState> = {};
  for (const z of d.settings.zones) zones[z.number] = d.s.zones[z.number] ?? closedZone();
  reshapeZones(d, zones);
  ok(d);
}

/** Uptime (ms) at which the host must call `step` with a tick; undefined when nothing waits. 0 before the boot step. */
export function nextDeadline(state: State): number | undefined {
  return state.resume ? 0 : dueAt(state);
}

/**
 * Would zone `zone` opening at `now` start the alarm siren (or keep it sounding)? The step's own
 * rule (`opening`), asked ahead of the step so that the siren pin is written before the step,
 * the journal and the uplink do their work; the step then asks for the same siren. False
 * whenever the step could decide otherwise: a deadline due (the step runs it first), the boot
 * step not yet taken, the zone already open or unknown. Then the step decides alone.
 */
export function opensToSiren(settings: Settings, state: State, zone: number, now: number): boolean {
  const due = dueAt(state);
  if (state.resume || (due !== undefined && due <= now) || state.zones[zone]?.open) return false;
  const z = zoneOf(settings, zone);
  if (!z) return false;
  switch (opening(state, z)) {
    case 'burglary': case 'entry_alarm': case 'panic': case 'tamper': return true;
    case 'entry': return settings.timers[state.armedMode!].entryDelay === 0;
    default: return false;
  }
}

export interface ZoneSnapshot {
  zone: number;
  name: string;
  type: ZoneType;
  open: boolean;
  /** Tamper or fault contact active. */
  fault: boolean;
  bypassed: boolean;
  /** Caused an alarm since the last disarm. */
  memory: boolean;
}

export interface Snapshot {
  mode: Mode;
  /** The armed mode the panel is in or heading to. */
  armedMode?: ArmedMode;
  zones: ZoneSnapshot[];
  ready: Record<ArmedMode, Readiness>;
  /** The alarm siren sounds. */
  siren: boolean;
  /** Seconds until the code entry points unlock; 0 when not locked. */
  lockout: number;
  /** Seconds left of the exit delay (arming). */
  exit?: number;
  /** Seconds left of the entry delay (pending). */
  entry?: number;
}

const secondsLeft = (until: number, now: Now) => Math.max(0, Math.ceil((until - now.uptime) / 1000));

/** The public state, as published and shown on keypads. */
export function snapshot(settings: Settings, state: State, now: Now): Snapshot {
  const zones = settings.zones.map((z) => {
    const st = state.zones[z.number] ?? closedZone();
    return { zone: z.number, name: z.name, type: z.type, open: st.open, fault: st.fault, bypassed: st.bypassed, memory: st.memory };
  });
  const snap: Snapshot = {
    mode: state.mode, zones, ready: readinessAll(settings, state) as Record<ArmedMode, Readiness>, siren: state.siren !== undefined || !!state.resume?.siren,
    lockout: state.lockedUntil !== undefined ? secondsLeft(state.lockedUntil, now) : state.resume?.lock ? lockout.seconds : 0,
  };
  if (state.armedMode) snap.armedMode = state.armedMode;
  if (state.deadline !== undefined && state.mode === 'arming') snap.exit = secondsLeft(state.deadline, now);
  if (state.deadline !== undefined && state.mode === 'pending') snap.entry = secondsLeft(state.deadline, now);
  return snap;
}
