// Which zones are watched in which mode, and which zones keep the panel from arming.
import type { ArmedMode, Settings, ZoneSettings } from './settings';
import { closedZone, type State } from './state';
import { zoneType } from './zone-types';

/** 24-hour types (24h, panic) are watched in every state; the others in the armed modes they list. */
export const watched = (z: ZoneSettings, mode: ArmedMode | undefined): boolean =>
  zoneType(z.type).always || (mode !== undefined && z.modes.includes(mode));

/**
 * Zones that keep the panel from arming in `mode`, ascending: any zone with a fault, and any
 * zone watched in `mode` that is open — except delayed zones when the mode has an exit delay
 * (people leave through them) and panic buttons. Bypassed zones never block.
 */
export function blockers(settings: Settings, state: State, mode: ArmedMode): number[] {
  const exitDelay = settings.timers[mode].exitDelay > 0;
  const zones: number[] = [];
  for (const z of settings.zones) {
    const st = state.zones[z.number] ?? closedZone();
    if (st.bypassed) continue;
    const rules = zoneType(z.type);
    const open = st.open && watched(z, mode) && rules.blocksArming && !(rules.entry && exitDelay);
    if (st.fault || open) zones.push(z.number);
  }
  return zones.sort((a, b) => a - b);
}

export interface Readiness {
  /** Would an arm command (without force) succeed now? */
  ready: boolean;
  /** Why not: the refusal an arm command would get. */
  reason?: 'zones_open' | 'invalid_state';
  /** The zones that block it. */
  zones: number[];
}

/** Not disarmed, or the siren sounds: one frozen answer for every mode, the same object each time. */
const notNow: Readiness = Object.freeze({ ready: false, reason: 'invalid_state' as const, zones: Object.freeze([]) as unknown as number[] });

export function readiness(settings: Settings, state: State, mode: ArmedMode): Readiness {
  if (state.mode !== 'disarmed' || state.siren) return notNow;
  const zones = blockers(settings, state, mode);
  return zones.length > 0 ? { ready: false, reason: 'zones_open', zones } : { ready: true, zones };
}
