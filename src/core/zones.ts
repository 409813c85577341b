// Which zones are watched in which mode, and which zones keep the panel from arming.
import { armedModes, type ArmedMode, type Settings, type ZoneSettings } from './settings';
import { closedZone, type State } from './state';
import { zoneType } from './zone-types';

/**
 * 24-hour types (24h, panic) are watched in every state; the others in the armed modes they list.
 * (`rules`: the zone's type rules, when the caller has them already.)
 */
export const watched = (z: ZoneSettings, mode: ArmedMode | undefined, rules = zoneType(z.type)): boolean =>
  rules.always || (mode !== undefined && z.modes.includes(mode));

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
    if (!st.bypassed && (st.fault || (st.open && blocksWhenOpen(z, mode, exitDelay)))) zones.push(z.number);
  }
  return zones.sort(ascending);
}

const ascending = (a: number, b: number) => a - b;

/** Does this zone, open and not bypassed, keep the panel from arming in `mode`? */
function blocksWhenOpen(z: ZoneSettings, mode: ArmedMode, exitDelay: boolean): boolean {
  const rules = zoneType(z.type);
  return watched(z, mode, rules) && rules.blocksArming && !(rules.entry && exitDelay);
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

/** Would an arm command in `mode` succeed now, and if not, why (the same rule as `blockers`)? */
export function readiness(settings: Settings, state: State, mode: ArmedMode): Readiness {
  return readinessAll(settings, state)[mode];
}

/** `notNow` for every armed mode: one frozen answer, the same object each time. */
const notNowEverywhere = Object.freeze(Object.fromEntries(armedModes.map((mode) => [mode, notNow])) as Record<ArmedMode, Readiness>);

/**
 * `readiness` in every armed mode at once, deeply frozen: one walk over the zones (not one per
 * mode), in which only open or faulted zones are looked at per mode. Each answer lists the zones
 * `blockers` lists for its mode.
 */
export function readinessAll(settings: Settings, state: State): Readonly<Record<ArmedMode, Readiness>> {
  if (state.mode !== 'disarmed' || state.siren) return notNowEverywhere;
  const lists = armedModes.map((): number[] => []);
  const exitDelays = armedModes.map((mode) => settings.timers[mode].exitDelay > 0);
  for (const z of settings.zones) {
    const st = state.zones[z.number] ?? closedZone();
    if (st.bypassed || !(st.fault || st.open)) continue;
    for (let m = 0; m < armedModes.length; m++) {
      if (st.fault || blocksWhenOpen(z, armedModes[m], exitDelays[m])) lists[m].push(z.number);
    }
  }
  const all = {} as Record<ArmedMode, Readiness>;
  for (let m = 0; m < armedModes.length; m++) {
    const zones = Object.freeze(lists[m].sort(ascending)) as number[];
    all[armedModes[m]] = Object.freeze(zones.length > 0 ? { ready: false, reason: 'zones_open' as const, zones } : { ready: true, zones });
  }
  return Object.freeze(all);
}
