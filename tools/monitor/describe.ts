// Events in words: "Burglary alarm, zone 1 Front door", "Disarmed by user 1 Owner".
//
// Zone names come from the panel's retained state snapshot; user names only from a names file
// the monitor's owner keeps (the panel never publishes who its users are).
import { ContactId, type PanelEvent } from '../../src/core/events.ts';
import { usageError, readText } from './cli.ts';

export interface NamesFile {
  users: Record<string, string>;
  zones: Record<string, string>;
  panels: Record<string, { users: Record<string, string>; zones: Record<string, string> }>;
}

export const noNames: NamesFile = { users: {}, zones: {}, panels: {} };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function nameMap(v: unknown, at: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) throw usageError(`names file: ${at} must map numbers to names`);
  for (const [k, name] of Object.entries(v)) {
    if (!/^[1-9]\d{0,2}$/.test(k) || typeof name !== 'string') throw usageError(`names file: ${at}.${k} must be a name, keyed by a number 1-999`);
  }
  return v as Record<string, string>;
}

/**
 * `{"users": {"1": "Owner"}, "zones": {"3": "Garage"}, "panels": {"ID": {"users": {…}, "zones": {…}}}}`:
 * names for every panel, and per panel. All parts are optional.
 */
export function loadNames(file: string | undefined): NamesFile {
  if (file === undefined) return noNames;
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file, 'names file'));
  } catch (err) {
    if (err instanceof SyntaxError) throw usageError(`names file ${JSON.stringify(file)} is not JSON: ${err.message}`);
    throw err;
  }
  if (!isObj(raw)) throw usageError('names file: must be a JSON object with users, zones and/or panels');
  const panels: NamesFile['panels'] = {};
  if (raw.panels !== undefined && !isObj(raw.panels)) throw usageError('names file: panels must map panel ids to {users, zones}');
  for (const [id, p] of Object.entries((raw.panels ?? {}) as Record<string, unknown>)) {
    if (!isObj(p)) throw usageError(`names file: panels.${id} must be an object with users and/or zones`);
    panels[id] = { users: nameMap(p.users, `panels.${id}.users`), zones: nameMap(p.zones, `panels.${id}.zones`) };
  }
  return { users: nameMap(raw.users, 'users'), zones: nameMap(raw.zones, 'zones'), panels };
}

export interface Namer {
  zone(n: number): string | undefined;
  user(n: number): string | undefined;
}

/** Names for one panel: its snapshot's zone names, then the names file. */
export function namer(names: NamesFile, panel: string, snapshotZones: ReadonlyMap<number, string> | undefined): Namer {
  const own = names.panels[panel];
  return {
    zone: (n) => snapshotZones?.get(n) ?? own?.zones[n] ?? names.zones[n],
    user: (n) => own?.users[n] ?? names.users[n],
  };
}

const zoneWords = (n: number, names: Namer) => `zone ${n}${names.zone(n) ? ` ${names.zone(n)}` : ''}`;
const userWords = (n: number, names: Namer) => `user ${n}${names.user(n) ? ` ${names.user(n)}` : ''}`;

/** [new / opening, restore / closing] */
const words: Record<number, [string, string]> = {
  [ContactId.duress]: ['Duress', 'Duress restore'],
  [ContactId.silentPanic]: ['Silent panic alarm', 'Silent panic restore'],
  [ContactId.audiblePanic]: ['Panic alarm', 'Panic restore'],
  [ContactId.burglary]: ['Burglary alarm', 'Burglary restore'],
  [ContactId.entryExit]: ['Entry/exit alarm', 'Entry/exit alarm restore'],
  [ContactId.tamper]: ['Tamper alarm', 'Tamper restore'],
  [ContactId.mainsLoss]: ['Mains power lost', 'Mains power restored'],
  [ContactId.lowBattery]: ['Low battery', 'Battery restored'],
  [ContactId.restart]: ['Panel restarted', 'Panel restarted'],
  [ContactId.configChanged]: ['Configuration changed', 'Configuration changed'],
  [ContactId.uplinkTrouble]: ['Uplink trouble (logged while the link was down)', 'Uplink restored'],
  [ContactId.zoneTrouble]: ['Zone trouble', 'Zone trouble restore'],
  [ContactId.exitError]: ['Exit error', 'Exit error restore'],
  [ContactId.openClose]: ['Disarmed', 'Armed away'],
  [ContactId.armedStay]: ['Disarmed (home/night)', 'Armed home/night'],
  [ContactId.lockout]: ['Wrong-code lockout', 'Lockout ended'],
  [ContactId.bypass]: ['Zone bypassed', 'Bypass removed'],
  [ContactId.testReport]: ['Periodic test report', 'Periodic test report'],
  [ContactId.logNearlyFull]: ['Event log 90 % full', 'Event log below 90 %'],
  [ContactId.logOverflow]: ['Event log overflow: events dropped', 'Event log overflow restore'],
};

/** Open/close and test reports say who ("by user 1 Owner"); other events name the zone, then the user. */
const byUser = new Set<number>([ContactId.openClose, ContactId.armedStay, ContactId.configChanged, ContactId.bypass]);

export function eventText(e: PanelEvent, names: Namer): string {
  const [opening, closing] = words[e.code] ?? [`Event ${e.code}`, `Event ${e.code} restore`];
  let text = e.q === 3 ? closing : opening;
  if (e.code === ContactId.testReport && e.user !== undefined) text = 'Test report';
  if (e.zone !== undefined) text += `, ${zoneWords(e.zone, names)}`;
  if (e.user !== undefined) text += byUser.has(e.code) || e.code === ContactId.testReport ? ` by ${userWords(e.user, names)}` : `, ${userWords(e.user, names)}`;
  return text;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Local time as "2026-01-01 12:00:00", or "clock not set" for an event without wall time. */
export function localTime(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined) return 'clock not set';
  const d = new Date(unixSeconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A reply's zones in words: "zone 1 Front door, zone 3". */
export const zonesText = (zones: readonly number[], names: Namer) => zones.map((z) => zoneWords(z, names)).join(', ');

/** The zone names of a decoded state snapshot (`zones: [{zone, name}]`). */
export function snapshotZoneNames(state: Record<string, unknown>): Map<number, string> {
  const out = new Map<number, string>();
  const zones = state.zones;
  if (!Array.isArray(zones)) return out;
  for (const z of zones) {
    if (isObj(z) && typeof z.zone === 'number' && typeof z.name === 'string') out.set(z.zone, z.name);
  }
  return out;
}
