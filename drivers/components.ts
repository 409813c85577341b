// The panel's components, in ONE table: the siren, and every kind of input a zone can be
// wired to. Each kind lives in its own folder (drivers/<kind>/: the driver and a
// `component.ts` describing it) and is named here once; the pin config's schema and
// defaults, opening the drivers, the GPIO rules, the portal's menu, Home Assistant's device
// class and the simulator's tiles all read this table. A new kind of sensor is one folder
// and one line below. The config's keys (`doors`, `motion`, `siren`) are on flash in the
// field: a kind's `key` is never renamed.
import type { Uptime } from './pin';
import type { PinFactory } from './pin';
import type { InputPolarity } from './input';
import type { SirenConfig, SirenEvents, Siren } from './siren/siren';
import { door } from './door/component';
import { pir } from './pir/component';
import { siren } from './siren/component';

/** What the drivers report to the panel (every kind's events; the siren's cap). */
export interface DriverEvents extends SirenEvents {
  onChange(zone: number, open: boolean, now: number): void;
  onTamper?(zone: number, active: boolean, now: number): void;
  /** A PIR's warm-up is over. */
  onReady?(zone: number, now: number): void;
  /**
   * An edge arrived at `input`: its `nextDeadline()` has moved to `due` (uptime ms); a host that
   * sleeps comes back by then.
   */
  onEdge?(due: number, input: InputDriver): void;
}

/** What every input entry has, whatever its kind: a zone, a GPIO, how it is wired. */
export interface InputEntry extends InputPolarity {
  zone: number;
  pin: number;
  debounceMs?: number;
  /** GPIO of the sensor's tamper loop (NC), if wired. */
  tamperPin?: number;
}

/** An opened input, as the panel polls it (time-injected, see drivers/input). */
export interface InputDriver {
  readonly zone: number;
  /** Reports the boot reading (constructors report nothing: the caller is ready first). */
  start(): unknown;
  nextDeadline(): number | undefined;
  poll(now: number): void;
  close(): void;
}

/** What the simulator's tile for a kind shows and does (hosts/node/virtual-panel). */
export interface SimTile {
  /** A click: `toggle` opens or closes the contact; `pulse` makes the output active for `pulseMs`, then idle (a PIR). */
  click: 'toggle' | 'pulse';
  pulseMs?: number;
  /** The wire's state in words, open and closed ("door OPEN", "door closed"). */
  open: string;
  closed: string;
}

export interface InputKind<C extends InputEntry = InputEntry, K extends string = string> {
  /** The kind's name: the portal's choice, the simulator's tile class and the `kind` of its JSON. */
  readonly kind: string;
  /** Its list in the pin config: `pins.doors` (on flash in the field: never renamed). */
  readonly key: K;
  /** What the portal's menu calls it. */
  readonly title: string;
  /** Everything wrong with one entry (from JSON: anything), `at` naming it ("doors[0]"). */
  problems(entry: C, at: string): string[];
  /** The entries a new panel starts with. */
  readonly defaults: readonly C[];
  /** Opens one entry's driver, which reports its boot reading. */
  open(pins: PinFactory, clock: Uptime, entry: C, events: DriverEvents): InputDriver;
  /** Home Assistant's binary_sensor device_class for a zone wired to it. */
  readonly haDeviceClass: string;
  readonly tile: SimTile;
}

/** The one output. Opened before any input, and driven off as it opens. */
export interface OutputComponent {
  readonly key: 'siren';
  problems(config: SirenConfig, at: string): string[];
  readonly defaults: SirenConfig;
  open(pins: PinFactory, clock: Uptime, config: SirenConfig, events: DriverEvents): Siren;
}

export const components = Object.freeze({
  siren,
  /** Every kind of input, in the order they open (and report their boot readings). */
  inputs: Object.freeze([door, pir] as const),
});

export type InputKinds = (typeof components.inputs)[number];
