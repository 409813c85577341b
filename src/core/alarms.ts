// Zones opening and tampers: entry delays, alarms, the siren run, swinger shutdown.
import { ContactId } from './events';
import { log, refuse, zoneSettings, zoneState, type Draft } from './draft';
import type { ZoneSettings } from './settings';
import type { State } from './state';
import { watched } from './zones';
import { zoneType } from './zone-types';

type AlarmCode = typeof ContactId.burglary | typeof ContactId.entryExit | typeof ContactId.tamper
  | typeof ContactId.silentPanic | typeof ContactId.audiblePanic;

/**
 * An alarm from zone `n`: logged, kept in alarm memory, the panel triggered unless disarmed,
 * the siren started for one capped run (an alarm while it sounds does not prolong it), and
 * the zone counted for swinger shutdown (panic buttons excepted: they must always work).
 */
export function raise(d: Draft, n: number | undefined, code: AlarmCode, audible: boolean): void {
  const s = d.s;
  log(d, code, 1, n === undefined ? {} : { zone: n });
  if (s.mode !== 'disarmed') {
    s.mode = 'triggered';
    s.deadline = undefined;
    s.entryZone = undefined;
    s.user = undefined; // an alarm during the exit delay: the panel never closed
  }
  if (audible && !s.siren) s.siren = { from: d.at, until: d.at + d.settings.sirenTime * 1000 };
  const z = n === undefined ? undefined : zoneSettings(d, n);
  if (!z) return;
  const st = zoneState(d, z.number);
  st.memory = true;
  if (code !== ContactId.tamper) st.restore = code; // tampers restore when they clear
  if (!zoneType(z.type).bypassable) return; // swinger shutdown is a bypass
  st.alarms += 1;
  if (st.alarms >= d.settings.swingerLimit && !st.bypassed) {
    st.bypassed = true;
    log(d, ContactId.bypass, 1, { zone: z.number });
  }
}

/** A delayed zone opened while armed: the entry delay starts (an entry delay of 0 is an alarm). */
export function startEntry(d: Draft, z: ZoneSettings): void {
  const delay = d.settings.timers[d.s.armedMode!].entryDelay;
  if (delay === 0) return raise(d, z.number, ContactId.entryExit, true);
  d.s.mode = 'pending';
  d.s.entryZone = z.number;
  d.s.deadline = d.at + delay * 1000;
}

/** The entry delay ran out: an entry/exit zone alarm. */
export function entryEnd(d: Draft): void {
  raise(d, d.s.entryZone, ContactId.entryExit, true);
}

/**
 * What a zone opening does in a state (deadlines already run): nothing, a chime, the entry
 * delay, or an alarm (with its Contact ID code; `silent_*` raise it without the siren). The
 * step acts on it; the panel asks it ahead of the step, so the siren need not wait for the
 * step, the journal and the uplink (see `opensToSiren` in ./machine).
 */
export type Opening = 'nothing' | 'chime' | 'entry' | 'burglary' | 'entry_alarm' | 'panic' | 'silent_panic' | 'tamper' | 'silent_tamper';

/** A tamper sounds the siren while armed, and while disarmed for a 24h zone set to (else the keypad warns). */
const tamperSounds = (s: State, z: ZoneSettings): boolean =>
  s.mode !== 'disarmed' || (zoneType(z.type).sirenWhenDisarmed && z.sirenWhenDisarmed === true);

export function opening(s: State, z: ZoneSettings): Opening {
  if (s.zones[z.number]?.bypassed) return 'nothing'; // a bypassed zone reports nothing
  const rules = zoneType(z.type);
  if (rules.opening === 'tamper') return tamperSounds(s, z) ? 'tamper' : 'silent_tamper';
  if (rules.opening === 'panic') return z.silent ? 'silent_panic' : 'panic';
  const mode = s.mode;
  if (mode === 'disarmed') return z.chime ? 'chime' : 'nothing';
  if (mode === 'arming' || !watched(z, s.armedMode, rules)) return 'nothing'; // the exit delay tolerates everything but 24h and panic
  if (rules.entry) return mode === 'pending' ? 'nothing' : mode === 'triggered' ? 'entry_alarm' : 'entry';
  if (rules.followsEntry && mode === 'pending') return 'nothing'; // the way from the door to the keypad
  return 'burglary';
}

/**
 * A tamper (a 24h loop opening, or a zone's tamper contact): 137 in every state. While
 * disarmed the siren sounds only for a 24h zone set to; otherwise the keypad warns locally.
 */
function tamper(d: Draft, z: ZoneSettings, active: boolean): void {
  if (zoneState(d, z.number).bypassed) return; // a bypassed zone reports nothing
  if (!active) return log(d, ContactId.tamper, 3, { zone: z.number });
  const audible = tamperSounds(d.s, z);
  raise(d, z.number, ContactId.tamper, audible);
  if (!audible) d.cue = 'warning';
}

export function zoneInput(d: Draft, n: number, open: boolean): void {
  if (!Number.isInteger(n)) return refuse(d, 'invalid_input');
  const z = zoneSettings(d, n);
  if (!z) return refuse(d, 'unknown_zone', [n]);
  const st = zoneState(d, n);
  if (st.open === open) return;
  st.open = open;
  if (zoneType(z.type).opening === 'tamper') return tamper(d, z, open);
  if (open) opened(d, z);
}

/** Zone `z` is open (it just opened, or the exit delay ended with it open): what `opening` says is done. */
export function opened(d: Draft, z: ZoneSettings): void {
  const n = z.number;
  switch (opening(d.s, z)) {
    case 'nothing': return;
    case 'chime': d.cue = 'chime'; return;
    case 'entry': return startEntry(d, z);
    case 'entry_alarm': return raise(d, n, ContactId.entryExit, true);
    case 'burglary': return raise(d, n, ContactId.burglary, true);
    case 'panic': return raise(d, n, ContactId.audiblePanic, true);
    case 'silent_panic': return raise(d, n, ContactId.silentPanic, false);
    case 'tamper': case 'silent_tamper': return tamper(d, z, true);
  }
}

export function tamperInput(d: Draft, n: number, active: boolean): void {
  if (!Number.isInteger(n)) return refuse(d, 'invalid_input');
  const z = zoneSettings(d, n);
  if (!z) return refuse(d, 'unknown_zone', [n]);
  const st = zoneState(d, n);
  if (st.fault === active) return;
  st.fault = active;
  tamper(d, z, active);
}
