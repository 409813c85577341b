// Arming (with force), the end of the exit delay (exit error), disarming, silence and bypass.
import { ContactId } from './events';
import { opened, startEntry } from './alarms';
import { log, ok, refuse, zoneSettings, zoneState, type Draft } from './draft';
import type { ArmedMode, UserSettings } from './settings';
import type { ZoneState } from './state';
import { blockers, watched } from './zones';
import { zoneType } from './zone-types';

const closing = (mode: ArmedMode) => (mode === 'armed_away' ? ContactId.openClose : ContactId.armedStay);

/** Zone numbers whose state matches `test`, ascending. */
const zonesWhere = (d: Draft, test: (z: ZoneState) => boolean): number[] =>
  Object.keys(d.s.zones).map(Number).filter((n) => test(d.s.zones[n]));

function resetSwinger(d: Draft): void {
  for (const n of zonesWhere(d, (z) => z.alarms > 0)) zoneState(d, n).alarms = 0;
}

export function arm(d: Draft, user: UserSettings, mode: ArmedMode, force: boolean): void {
  if (d.s.mode !== 'disarmed' || d.s.siren) return refuse(d, 'invalid_state');
  const blocking = blockers(d.settings, d.s, mode);
  if (blocking.length > 0) {
    if (!force) return refuse(d, 'zones_open', blocking);
    if (user.role === 'arm-only') return refuse(d, 'not_permitted', blocking);
    for (const n of blocking) {
      zoneState(d, n).bypassed = true;
      log(d, ContactId.bypass, 1, { zone: n, user: user.number });
    }
  }
  resetSwinger(d);
  d.s.mode = 'arming';
  d.s.armedMode = mode;
  d.s.user = user.number;
  const exit = d.settings.timers[mode].exitDelay;
  if (exit === 0) exitEnd(d);
  else d.s.deadline = d.at + exit * 1000;
  ok(d);
}

/**
 * The exit delay is over: the panel closes (401 away, 441 home/night, q3). A delayed zone
 * still open is an exit error (374) and starts the entry delay; any other watched zone still
 * open is an intrusion, as if it had just opened.
 */
export function exitEnd(d: Draft): void {
  const mode = d.s.armedMode!;
  d.s.mode = mode;
  d.s.deadline = undefined;
  log(d, closing(mode), 3, d.s.user === undefined ? {} : { user: d.s.user });
  d.s.user = undefined;
  d.cue = 'chirp_arm';
  const open = d.settings.zones.filter((z) => {
    const st = d.s.zones[z.number];
    return st && st.open && !st.bypassed && watched(z, mode) && zoneType(z.type).opening === 'intrusion';
  });
  const delayed = open.filter((z) => zoneType(z.type).entry);
  for (const z of delayed) log(d, ContactId.exitError, 1, { zone: z.number });
  if (delayed.length > 0) startEntry(d, delayed[0]);
  for (const z of open) if (!zoneType(z.type).entry) opened(d, z); // a burglary (a follower waits for the entry delay)
}

/**
 * Disarm: 401 q1 (none when an exit delay is cancelled: the panel never closed), the siren
 * stops, alarm memory is restored (q3) and cleared, bypasses end (570 q3). While already
 * disarmed it only acknowledges: the siren stops and alarm memory is cleared.
 */
export function disarm(d: Draft, user: UserSettings): void {
  const s = d.s;
  const was = s.mode;
  if (was !== 'disarmed' && was !== 'arming') log(d, ContactId.openClose, 1, { user: user.number });
  s.siren = undefined;
  for (const n of zonesWhere(d, (z) => z.memory)) {
    const st = zoneState(d, n);
    if (st.restore !== 0) log(d, st.restore as typeof ContactId.burglary, 3, { zone: n });
    st.memory = false;
    st.restore = 0;
  }
  if (was !== 'disarmed') {
    for (const n of zonesWhere(d, (z) => z.bypassed)) {
      zoneState(d, n).bypassed = false;
      log(d, ContactId.bypass, 3, { zone: n });
    }
    resetSwinger(d);
  }
  s.mode = 'disarmed';
  s.armedMode = s.user = s.deadline = s.entryZone = undefined;
  d.cue = 'chirp_disarm';
  ok(d);
}

/** Stops the siren; the panel stays triggered and keeps its alarm memory. */
export function silence(d: Draft): void {
  if (!d.s.siren) return refuse(d, 'invalid_state');
  d.s.siren = undefined;
  ok(d);
}

/** Bypass (or unbypass) a zone while disarmed, until the next disarm. Panic buttons cannot be bypassed. */
export function bypass(d: Draft, user: UserSettings, n: number | undefined, on: boolean): void {
  if (n === undefined || !Number.isInteger(n)) return refuse(d, 'invalid_input');
  const z = zoneSettings(d, n);
  if (!z) return refuse(d, 'unknown_zone', [n]);
  if (d.s.mode !== 'disarmed') return refuse(d, 'invalid_state');
  if (!zoneType(z.type).bypassable) return refuse(d, 'not_permitted', [n]);
  const st = zoneState(d, n);
  if (st.bypassed !== on) {
    st.bypassed = on;
    log(d, ContactId.bypass, on ? 1 : 3, { zone: n, user: user.number });
  }
  ok(d);
}
