// The panel's pins as one config (JSON from the manifest or the portal), checked as a
// whole and opened as one set of drivers that the host polls together. Which kinds of input
// there are, and how each is checked and opened, is the table of ./components.
import type { Uptime } from './pin';
import type { PinFactory } from './pin';
import type { Siren, SirenConfig } from './siren/siren';
import { components, type DriverEvents, type InputDriver, type InputEntry, type InputKind, type InputKinds } from './components';

export type { DriverEvents, InputEntry, InputKind };

type EntryOf<K> = K extends InputKind<infer C, string> ? C : never;

/** `siren`, and one optional list per kind of input (`doors`, `motion`), as the table has them. */
export type PinConfig = { siren: SirenConfig } & { [K in InputKinds as K['key']]?: EntryOf<K>[] };

type Lists = Record<string, readonly InputEntry[] | undefined>;

/** Every input of a config with its kind and its place ("doors[0]"), kinds in table order. */
export function eachInput(config: PinConfig, visit: (entry: InputEntry, kind: InputKind, at: string) => void): void {
  const inputs: readonly InputKind[] = components.inputs;
  for (let k = 0; k < inputs.length; k++) {
    const kind = inputs[k];
    const list = (config as unknown as Lists)[kind.key] ?? [];
    for (let i = 0; i < list.length; i++) visit(list[i], kind, `${kind.key}[${i}]`);
  }
}

/** The kind of input wired to each zone of a config. */
export function zoneKinds(config: PinConfig): Map<number, InputKind> {
  const kinds = new Map<number, InputKind>();
  eachInput(config, (entry, kind) => kinds.set(entry.zone, kind));
  return kinds;
}

/** The kinds as the portal's page offers them (plain data: the page is a browser's). */
export const inputKindNames = (): Array<{ kind: string; key: string; title: string }> =>
  components.inputs.map((k) => ({ kind: k.kind, key: k.key, title: k.title }));

/** The defaults of README and wiring.svg: safe GPIOs of an ESP32-WROOM DevKit. */
// Frozen through and through: under Moddable's preload each object left unfrozen costs a RAM pointer.
export const defaultPinConfig: PinConfig = Object.freeze(Object.fromEntries([
  ...components.inputs.map((k): [string, unknown] => [k.key, k.defaults]),
  [components.siren.key, components.siren.defaults],
])) as unknown as PinConfig;

/** The default config (a door with its tamper loop, a PIR, the siren) on another board's GPIOs. */
export function defaultPinsOn(gpio: { door: number; tamper: number; motion: number; siren: number }): PinConfig {
  const d = defaultPinConfig;
  return Object.freeze({
    doors: Object.freeze([Object.freeze({ ...d.doors![0], pin: gpio.door, tamperPin: gpio.tamper })]),
    motion: Object.freeze([Object.freeze({ ...d.motion![0], pin: gpio.motion })]),
    siren: Object.freeze({ ...d.siren, pin: gpio.siren }),
  }) as PinConfig;
}

/** Where each GPIO of a config is used, as [gpio, "doors[0].pin"], in config order. */
export function pinUses(config: PinConfig): Array<[number, string]> {
  const uses: Array<[number, string]> = [[config.siren.pin, 'siren.pin']];
  eachInput(config, (z, _kind, at) => {
    uses.push([z.pin, `${at}.pin`]);
    if (z.tamperPin !== undefined) uses.push([z.tamperPin, `${at}.tamperPin`]);
  });
  return uses;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Everything wrong with a pin config (from JSON: anything), as sentences; empty when it is good. */
export function pinConfigProblems(config: unknown): string[] {
  const inputs: readonly InputKind[] = components.inputs;
  const keys = inputs.map((k) => k.key);
  if (!isObject(config)) return [`the pin config must be an object with ${keys.join(', ')} and siren`];
  const p: string[] = [];
  for (const key of Object.keys(config)) {
    if (key !== 'siren' && !keys.includes(key)) p.push(`unknown pin config entry "${key}"`);
  }
  if (!isObject(config.siren)) p.push('siren must be an object with a pin');
  else p.push(...components.siren.problems(config.siren as unknown as SirenConfig, 'siren'));
  const zones = new Map<unknown, string>();
  for (const kind of inputs) {
    const list = config[kind.key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) { p.push(`${kind.key} must be a list`); continue; }
    list.forEach((entry: unknown, i) => {
      const at = `${kind.key}[${i}]`;
      if (!isObject(entry)) return void p.push(`${at} must be an object with a zone and a pin`);
      p.push(...kind.problems(entry as unknown as InputEntry, at));
      const other = zones.get(entry.zone);
      if (other) p.push(`zone ${entry.zone} is given twice: ${other} and ${at}`);
      else zones.set(entry.zone, at);
    });
  }
  if (p.length) return p; // pin numbers are only compared once every entry is well formed
  const seen = new Map<number, string>();
  for (const [gpio, at] of pinUses(config as unknown as PinConfig)) {
    const other = seen.get(gpio);
    if (other) p.push(`GPIO ${gpio} is used twice: ${other} and ${at}`);
    else seen.set(gpio, at);
  }
  return p;
}

export class PinConfigError extends Error {
  // A field, not `this.name = …`: Error.prototype is frozen under preload (the override mistake).
  override name = 'PinConfigError';

  constructor(readonly problems: string[]) {
    super(`bad pin config: ${problems.join('; ')}`);
  }
}

/**
 * The panel's drivers, polled together by the host. A round polls only the inputs that have
 * something due (an edge in its debounce, a PIR's warm-up or hold): a door that opens on a
 * panel of 32 zones does not wait behind 31 quiet ones on its way to the siren.
 */
export class Drivers {
  /** The inputs with a deadline: after an edge, until they settle. */
  private readonly due: InputDriver[] = [];

  /** `inputs`: every input's driver, in the order they opened (kinds in table order). */
  constructor(readonly siren: Siren, readonly inputs: InputDriver[] = []) {}

  /** Reports every input's boot reading, in the order they opened (kinds in table order). */
  start(): this {
    for (let i = 0; i < this.inputs.length; i++) {
      this.inputs[i].start();
      if (this.inputs[i].nextDeadline() !== undefined) this.edge(this.inputs[i]); // a PIR's warm-up, an edge while it opened
    }
    return this;
  }

  /** `input` saw an edge (its debounce is a deadline): rounds poll it until it has none. */
  edge(input: InputDriver): void {
    if (!this.due.includes(input)) this.due.push(input);
  }

  nextDeadline(): number | undefined {
    // Asked after every service round: plain loops, no arrays made (XS counts every one).
    let due = this.siren.nextDeadline();
    for (let k = 0; k < this.due.length; k++) {
      const d = this.due[k].nextDeadline();
      if (d !== undefined && (due === undefined || d < due)) due = d;
    }
    return due;
  }

  poll(now: number): void {
    for (let k = 0; k < this.due.length;) {
      const input = this.due[k];
      input.poll(now);
      if (input.nextDeadline() === undefined) this.due.splice(k, 1);
      else k++;
    }
    this.siren.poll(now);
  }

  close(now: number): void {
    for (const d of this.inputs) d.close();
    this.siren.close(now);
  }
}

/**
 * Checks the config (plus any host rules, e.g. the ESP32's GPIO table), then opens the
 * siren first — driven off — and the inputs after it. Nothing is reported until the
 * caller, ready for them, calls `start()` for the boot readings.
 * Throws a PinConfigError naming every problem, having opened nothing.
 */
export function openDrivers(
  pins: PinFactory, clock: Uptime, config: unknown, events: DriverEvents,
  hostRules: (config: PinConfig) => string[] = () => [],
): Drivers {
  let problems = pinConfigProblems(config);
  if (!problems.length) problems = hostRules(config as PinConfig);
  if (problems.length) throw new PinConfigError(problems);
  const c = config as PinConfig;
  const drivers = new Drivers(components.siren.open(pins, clock, c.siren, events));
  // An input names itself with its edge, so that rounds poll it alone (one events object for all).
  const inputEvents: DriverEvents = { ...events, onEdge: (due, input) => { drivers.edge(input); events.onEdge?.(due, input); } };
  try {
    eachInput(c, (entry, kind) => { drivers.inputs.push(kind.open(pins, clock, entry, inputEvents)); });
  } catch (err) {
    // Leave nothing half-open; the siren is closed off (the gate pull-down holds it off).
    drivers.close(clock.uptime());
    throw err;
  }
  return drivers;
}
