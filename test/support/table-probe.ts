// What the panel makes of a kind of input and a zone type that are named nowhere but in their
// tables: test/tables.test.ts bundles this once as it is and once with the tables extended
// (a `glass` input kind, a `perimeter_away` zone type), and compares. Plain data out.
import { SimHost } from '../../hosts/xs/sim-host';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config';
import { makeUser, validateSettings } from '../../src/core/settings';
import { initialState, step } from '../../src/core/machine';
import { readiness } from '../../src/core/zones';
import { configView, pinField } from '../../src/portal/form';
import { defaultPinConfig, pinConfigProblems, type PinConfig } from '../../drivers/config';
import { esp32PinProblems } from '../../drivers/esp32-pins';
import { MemoryBroker } from './memory-mqtt';

const NOW = 1_790_000_000;
const text = (b: Uint8Array) => String.fromCharCode(...b);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** A glass-break detector on zone 3 (GPIO 26), in the pin config, the portal, HA and the simulator. */
export function inputKind(): Record<string, unknown> {
  const pins = { ...clone(defaultPinConfig), glass: [{ zone: 3, pin: 26 }] } as PinConfig;
  const out: Record<string, unknown> = {
    pinProblems: pinConfigProblems(pins),
    badEntry: pinConfigProblems({ ...pins, glass: [{ zone: 3, pin: 'x' }] }),
    esp32: esp32PinProblems({ ...pins, glass: [{ zone: 3, pin: 12 }] } as PinConfig).map((p) => p.slice(0, 40)),
    errorField: pinField({ field: 'pins', message: 'glass[0].pin must be a GPIO number' }).field,
  };
  const broker = new MemoryBroker();
  const host = new SimHost({ wallStart: NOW, connect: broker.connect });
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const raw = clone(first.config) as PanelConfig;
  raw.alarm.zones.push({ number: 3, name: 'Lounge window', type: 'instant', modes: ['armed_away', 'armed_home', 'armed_night'], chime: false });
  raw.alarm.users.push(makeUser({ number: 4, name: 'Home Assistant', role: 'user', code: '4321', salt: '0011223344556677' }));
  (raw.pins as Record<string, unknown>).glass = [{ zone: 3, pin: 26 }];
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.homeAssistant = { enabled: true, user: 4, discoveryPrefix: 'homeassistant' };
  const checked = validateConfig(raw);
  if (!checked.ok) return { ...out, configErrors: checked.errors.map((e) => `${e.field}: ${e.message}`) };
  out.configErrors = [];
  out.portalKinds = configView(checked.config).kinds.map((k) => k.kind);
  const panel = host.open(checked.config);
  host.runTo(panel, 1000);
  out.wiredClosed = host.board.level(26); // the simulator wired it at its closed level
  const zone3 = () => panel.snapshot().zones.find((z) => z.zone === 3)?.open;
  const before = zone3();
  host.set(26, 1); // the detector's contact opens
  host.runTo(panel, 2000);
  out.zone3 = [before, zone3()];
  out.deviceClasses = [1, 2, 3].map((n) => {
    const retained = broker.retained.get(`homeassistant/binary_sensor/p1/zone_${n}/config`);
    return retained && JSON.parse(text(retained)).device_class;
  });
  return out;
}

/** A zone type watched only when away, that may chime: its settings and whether it blocks arming. */
export function zoneType(): Record<string, unknown> {
  const master = makeUser({ number: 1, role: 'master', code: '1234', salt: '00112233' });
  const v = validateSettings({ zones: [{ number: 1, name: 'Patio door', type: 'perimeter_away', chime: true }], users: [master] });
  const chimeError = validateSettings({ zones: [{ number: 1, type: 'follower', chime: true }], users: [master] });
  const out: Record<string, unknown> = { chimeError: chimeError.ok ? undefined : chimeError.errors[0].message };
  if (!v.ok) return { ...out, errors: v.errors.map((e) => `${e.field}: ${e.message}`) };
  const settings = v.settings;
  let state = step(settings, initialState(settings, 1), { type: 'boot' }, { uptime: 0 }).state;
  state = step(settings, state, { type: 'zone', zone: 1, open: true }, { uptime: 10 }).state;
  return {
    ...out, errors: [], modes: settings.zones[0].modes,
    home: readiness(settings, state, 'armed_home').ready, away: readiness(settings, state, 'armed_away').zones,
  };
}
