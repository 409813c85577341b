// Zones opening and tampers: entry delays, alarms, the siren run, swinger shutdown.
import { ContactId, type ContactIdCode } from './events';
import { log, refuse, zoneSettings, zoneState, type Draft } from './draft';
import type { ZoneSettings } from './settings';
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

/** An open watched zone while armed, pending or triggered. */
export function intrusion(d: Draft, z: ZoneSettings): void {
  const mode = d.s.mode;
  const rules = zoneType(z.type);
  if (rules.entry) {
    if (mode === 'pending') return;
    if (mode === 'triggered') return raise(d, z.number, ContactId.entryExit, true);
    return startEntry(d, z);
  }
  if (rules.followsEntry && mode === 'pending') return; // the way from the door to the keypad
  raise(d, z.number, ContactId.burglary, true);
}

/**
 * A tamper (a 24h loop opening, or a zone's tamper contact): 137 in every state. While
 * disarmed the siren sounds only for a 24h zone set to; otherwise the keypad warns locally.
 */
function tamper(d: Draft, z: ZoneSettings, active: boolean): void {
  if (zoneState(d, z.number).bypassed) return; // a bypassed zone reports nothing
  if (!active) return log(d, ContactId.tamper, 3, { zone: z.number });
  const audible = d.s.mode !== 'disarmed' || (zoneType(z.type).sirenWhenDisarmed && z.sirenWhenDisarmed === true);
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
  const opening = zoneType(z.type).opening;
  if (opening === 'tamper') return tamper(d, z, open);
  if (!open || st.bypassed) return;
  if (opening === 'panic') {
    const code: ContactIdCode = z.silent ? ContactId.silentPanic : ContactId.audiblePanic;
    return raise(d, n, code as AlarmCode, !z.silent);
  }
  const mode = d.s.mode;
  if (mode === 'disarmed') {
    if (z.chime) d.cue = 'chime';
    return;
  }
  if (mode === 'arming' || !watched(z, d.s.armedMode)) return; // the exit delay tolerates everything but 24h and panic
  intrusion(d, z);
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
