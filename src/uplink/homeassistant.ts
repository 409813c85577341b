// Home Assistant MQTT discovery (opt-in): one alarm_control_panel and a binary_sensor per zone.
//
// HA cannot read CBOR nor check a COSE MAC, so this is a second, plain-text face of the panel:
//   {p}/{id}/ha/state       the mode in HA's words (they are the panel's own), retained
//   {p}/{id}/ha/zone/{n}    ON (open) / OFF (closed), retained
//   {p}/{id}/ha/set         HA's commands: {"action":"ARM_AWAY","code":"1234"}
//   {p}/{id}/status         availability (online / offline), the panel's birth and will
// and the retained discovery configs under {discovery prefix}/…/config. Everything here
// travels in clear, the HA user's code included: the app hands each command to the core as a
// keypad entry that only that user's code opens, so its role and the lockout apply.
import type { Mode } from '../core/state';
import type { KeypadAction } from '../core/io';
import type { ZoneType } from '../core/settings';
import { zoneType } from '../core/zone-types';
import { fromUtf8, utf8 } from '../text';

/** What discovery needs to know about the panel. */
export interface HaPanel {
  prefix: string;
  panelId: string;
  /** The device name HA shows. */
  name: string;
  discoveryPrefix: string;
  zones: HaZone[];
}

export interface HaZone {
  zone: number;
  name: string;
  type: ZoneType;
  /**
   * HA's device class for what the zone's input is wired to ('door', 'motion': the drivers'
   * table says, handed in by the app), when known.
   */
  wiring?: string;
}

export interface HaTopics {
  state: string;
  set: string;
  availability: string;
  zone(n: number): string;
}

export function haTopics(prefix: string, panelId: string): HaTopics {
  const base = `${prefix}/${panelId}/`;
  return { state: `${base}ha/state`, set: `${base}ha/set`, availability: `${base}status`, zone: (n) => `${base}ha/zone/${n}` };
}

/** HA's binary_sensor device class for a zone: the zone type first (24h, panic), then the wiring. */
export function deviceClass(zone: Pick<HaZone, 'type' | 'wiring'>): string {
  const rules = zoneType(zone.type);
  if (rules.opening === 'tamper') return 'tamper';
  if (rules.opening === 'panic') return 'safety';
  return zone.wiring ?? (rules.followsEntry ? 'motion' : 'opening'); // unwired: an interior zone is most likely a PIR
}

export interface Discovery {
  topic: string;
  config: Record<string, unknown>;
}

/** HA's actions (the default payload_arm_* / payload_disarm) and what the panel does for each. */
const actions: Record<string, KeypadAction> = Object.freeze({
  ARM_AWAY: 'arm_away', ARM_HOME: 'arm_home', ARM_NIGHT: 'arm_night', DISARM: 'disarm',
});

/**
 * The retained discovery configs: the alarm_control_panel first, then one binary_sensor per zone.
 * `code: REMOTE_CODE` makes HA ask for a numeric code and pass it on without checking it; the
 * command template carries the action and that code as one JSON object.
 */
export function discoveryConfigs(p: HaPanel): Discovery[] {
  const t = haTopics(p.prefix, p.panelId);
  const id = `open_alarm_${p.panelId}`;
  const common = {
    availability_topic: t.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    qos: 1,
    device: { identifiers: [id], name: p.name, manufacturer: 'Open alarm panel', model: 'open alarm panel' },
  };
  const panel: Discovery = {
    topic: `${p.discoveryPrefix}/alarm_control_panel/${p.panelId}/panel/config`,
    config: {
      name: p.name,
      unique_id: `${id}_panel`,
      state_topic: t.state,
      command_topic: t.set,
      command_template: '{"action":"{{ action }}","code":"{{ code }}"}',
      code: 'REMOTE_CODE',
      code_arm_required: true,
      code_disarm_required: true,
      supported_features: ['arm_away', 'arm_home', 'arm_night'],
      retain: false,
      ...common,
    },
  };
  const zones = p.zones.map((z): Discovery => ({
    topic: `${p.discoveryPrefix}/binary_sensor/${p.panelId}/zone_${z.zone}/config`,
    config: {
      name: z.name,
      unique_id: `${id}_zone_${z.zone}`,
      state_topic: t.zone(z.zone),
      device_class: deviceClass(z),
      payload_on: 'ON',
      payload_off: 'OFF',
      ...common,
    },
  }));
  return [panel, ...zones];
}

/** A discovery config as it goes on the wire (UTF-8 JSON). */
export const discoveryPayload = (d: Discovery): Uint8Array => utf8(JSON.stringify(d.config));

/** The panel's mode in HA's words: the panel uses HA's own state names. */
export const haState = (mode: Mode): Uint8Array => utf8(mode);

export const haZoneState = (open: boolean): Uint8Array => utf8(open ? 'ON' : 'OFF');

export type HaCommand = { ok: true; action: KeypadAction; code: string } | { ok: false; error: string };

/** Reads a command from `{p}/{id}/ha/set`. The error never repeats the code. */
export function parseHaCommand(bytes: Uint8Array): HaCommand {
  if (bytes.length > 256) return { ok: false, error: `${bytes.length} bytes, more than 256` };
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'not a JSON object' };
  const { action, code } = value as Record<string, unknown>;
  if (typeof action !== 'string') return { ok: false, error: 'action missing' };
  const mapped = Object.prototype.hasOwnProperty.call(actions, action) ? actions[action] : undefined;
  if (!mapped) return { ok: false, error: `action ${JSON.stringify(action.slice(0, 32))} is not one the panel takes` };
  if (typeof code !== 'string' || code === '') return { ok: false, error: 'code missing' };
  return { ok: true, action: mapped, code };
}
