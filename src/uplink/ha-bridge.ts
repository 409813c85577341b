// Home Assistant (opt-in, homeassistant.ts) as the panel speaks it: discovery and retained
// states in HA's words, only what changed, and HA's commands as keypad entries that only the
// HA user's code opens. It reaches the panel only through its port (panel-port.ts).
import type { Snapshot } from '../core/machine';
import type { PanelConfig } from '../config';
import { discoveryConfigs, discoveryPayload, haState, haTopics, haZoneState, parseHaCommand, type HaPanel } from './homeassistant';
import { CommandQueue, type PanelPort } from './panel-port';

/**
 * What each zone's input is, by zone number, with HA's device class for it ('door', 'motion'):
 * the drivers' table knows it, and the app hands it in (src/ does not reach into drivers/).
 */
export type DeviceClasses = (pins: PanelConfig['pins']) => ReadonlyMap<number, { readonly haDeviceClass?: string }>;

const noClasses: DeviceClasses = () => new Map();

/** The panel as Home Assistant discovery sees it, or undefined when HA is off. */
export function homeAssistantOf(config: PanelConfig, deviceClasses: DeviceClasses = noClasses): HaPanel | undefined {
  const ha = config.homeAssistant;
  if (!ha.enabled || ha.user === undefined) return undefined;
  const classes = deviceClasses(config.pins);
  return {
    prefix: config.broker.prefix, panelId: config.panel.id, name: config.panel.name, discoveryPrefix: ha.discoveryPrefix,
    zones: config.alarm.zones.map((z) => ({ zone: z.number, name: z.name, type: z.type, wiring: classes.get(z.number)?.haDeviceClass })),
  };
}

/** The topics a session subscribes to for HA: its command topic when HA is on. */
export function haSubscriptions(config: PanelConfig): string[] {
  const ha = homeAssistantOf(config);
  return ha ? [haTopics(ha.prefix, ha.panelId).set] : [];
}

/** Every retained topic the panel publishes for Home Assistant. */
function haRetained(ha: HaPanel | undefined): string[] {
  if (!ha) return [];
  const t = haTopics(ha.prefix, ha.panelId);
  return [...discoveryConfigs(ha).map((d) => d.topic), t.state, ...ha.zones.map((z) => t.zone(z.zone))];
}

export class HaBridge {
  /** Commands from HA's `ha/set` topic, waiting for `service()` (bounded: a flood is dropped and counted). */
  readonly queue: CommandQueue;
  /** What Home Assistant was last sent on this link: only changes go out again. */
  private sent: { state?: string; zones: Map<number, boolean> } = { zones: new Map() };

  constructor(private readonly port: PanelPort, private readonly deviceClasses: DeviceClasses) {
    this.queue = new CommandQueue('Home Assistant commands', port);
  }

  /** After the uplink's tick: a few queued commands. */
  run(): void {
    this.queue.run((bytes) => this.command(bytes));
  }

  /** Discovery (when `all`), then the mode and the zones in HA's words: all of it, or what changed. */
  publish(all: boolean, snap?: Snapshot): void {
    const ha = homeAssistantOf(this.port.config(), this.deviceClasses);
    const uplink = this.port.uplink();
    if (!ha || !uplink) return;
    const text = { retain: true, qos: 1, contentType: 'text/plain' } as const;
    if (all) {
      this.sent = { zones: new Map() };
      for (const d of discoveryConfigs(ha)) uplink.publish(d.topic, discoveryPayload(d), { retain: true, qos: 1, contentType: 'application/json' });
    }
    const topics = haTopics(ha.prefix, ha.panelId);
    snap ??= this.port.snapshot();
    if (this.sent.state !== snap.mode) {
      this.sent.state = snap.mode;
      uplink.publish(topics.state, haState(snap.mode), text);
    }
    for (const z of snap.zones) {
      if (this.sent.zones.get(z.zone) === z.open) continue;
      this.sent.zones.set(z.zone, z.open);
      uplink.publish(topics.zone(z.zone), haZoneState(z.open), text);
    }
  }

  /**
   * A new config is in use. What HA should forget (HA off, a zone gone): an empty retained
   * message clears a topic, and an empty discovery config removes the entity. `reopened`: the
   * uplink is a new one, which publishes discovery on connect.
   */
  reconfigured(before: PanelConfig, after: PanelConfig, reopened: boolean): void {
    const haBefore = homeAssistantOf(before, this.deviceClasses);
    const haAfter = homeAssistantOf(after, this.deviceClasses);
    if (JSON.stringify(haBefore) === JSON.stringify(haAfter)) return;
    const keep = new Set(haRetained(haAfter));
    for (const topic of haRetained(haBefore)) {
      if (!keep.has(topic)) this.port.uplink()?.publish(topic, new Uint8Array(0), { retain: true, qos: 1 });
    }
    if (!reopened) this.publish(true);
  }

  /**
   * A command from Home Assistant: a keypad entry that only the HA user's code opens. Another
   * user's code is a wrong code there; wrong codes count toward the lockout; the role applies.
   */
  private command(bytes: Uint8Array): void {
    const cfg = this.port.config().homeAssistant;
    const user = cfg.user;
    if (!cfg.enabled || user === undefined) return;
    const command = parseHaCommand(bytes);
    if (!command.ok) return this.port.tally.note(`Home Assistant commands ignored (${command.error})`, `home assistant: command ignored: ${command.error}`);
    const result = this.port.input({ type: 'keypad', action: command.action, code: command.code, user });
    if (result && !result.ok) this.port.log(`home assistant: ${command.action} refused: ${result.reason}`);
    else this.port.log(`home assistant: ${command.action} accepted`);
  }
}
