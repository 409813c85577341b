// The panel's pins as one config (JSON from the manifest or the portal), checked as a
// whole and opened as one set of drivers that the host polls together.
import type { Clock } from '../src/core/clock';
import type { PinFactory } from './pin';
import { Door, doorProblems, type DoorConfig, type DoorEvents } from './door';
import { Motion, motionProblems, type MotionConfig, type MotionEvents } from './motion';
import { Siren, sirenProblems, type SirenConfig, type SirenEvents } from './siren';

export interface PinConfig {
  doors?: DoorConfig[];
  motion?: MotionConfig[];
  siren: SirenConfig;
}

/** The defaults of README and wiring.svg: safe GPIOs of an ESP32-WROOM DevKit. */
// Frozen through and through: under Moddable's preload each object left unfrozen costs a RAM pointer.
export const defaultPinConfig: PinConfig = Object.freeze({
  doors: Object.freeze([Object.freeze({ zone: 1, pin: 32, wiring: 'NC', pull: 'up', debounceMs: 50, tamperPin: 33 } as const)]),
  motion: Object.freeze([Object.freeze({ zone: 2, pin: 27, wiring: 'NC', pull: 'up', warmUpS: 30, holdOffS: 10, pulses: 1, pulseWindowS: 10 } as const)]),
  siren: Object.freeze({ pin: 25, activeLow: false, maxOnS: 900 }),
}) as unknown as PinConfig;

/** The default config (a door with its tamper loop, a PIR, the siren) on another board's GPIOs. */
export function defaultPinsOn(gpio: { door: number; tamper: number; motion: number; siren: number }): PinConfig {
  const d = defaultPinConfig;
  return Object.freeze({
    doors: Object.freeze([Object.freeze({ ...d.doors![0], pin: gpio.door, tamperPin: gpio.tamper })]),
    motion: Object.freeze([Object.freeze({ ...d.motion![0], pin: gpio.motion })]),
    siren: Object.freeze({ ...d.siren, pin: gpio.siren }),
  }) as PinConfig;
}

export type DriverEvents = DoorEvents & MotionEvents & SirenEvents;

/** Where each GPIO of a config is used, as [gpio, "doors[0].pin"], in config order. */
export function pinUses(config: PinConfig): Array<[number, string]> {
  const uses: Array<[number, string]> = [[config.siren.pin, 'siren.pin']];
  for (const [key, list] of [['doors', config.doors], ['motion', config.motion]] as const) {
    (list ?? []).forEach((z, i) => {
      uses.push([z.pin, `${key}[${i}].pin`]);
      if (z.tamperPin !== undefined) uses.push([z.tamperPin, `${key}[${i}].tamperPin`]);
    });
  }
  return uses;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Everything wrong with a pin config (from JSON: anything), as sentences; empty when it is good. */
export function pinConfigProblems(config: unknown): string[] {
  if (!isObject(config)) return ['the pin config must be an object with doors, motion and siren'];
  const p: string[] = [];
  for (const key of Object.keys(config)) {
    if (key !== 'doors' && key !== 'motion' && key !== 'siren') p.push(`unknown pin config entry "${key}"`);
  }
  if (!isObject(config.siren)) p.push('siren must be an object with a pin');
  else p.push(...sirenProblems(config.siren as unknown as SirenConfig));
  const zones = new Map<unknown, string>();
  const lists = [['doors', config.doors, doorProblems], ['motion', config.motion, motionProblems]] as const;
  for (const [key, list, problems] of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) { p.push(`${key} must be a list`); continue; }
    list.forEach((entry: unknown, i) => {
      const at = `${key}[${i}]`;
      if (!isObject(entry)) return void p.push(`${at} must be an object with a zone and a pin`);
      p.push(...problems(entry as unknown as DoorConfig & MotionConfig, at));
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

/** The panel's drivers, polled together by the host. */
export class Drivers {
  constructor(readonly siren: Siren, readonly doors: Door[], readonly motion: Motion[]) {}

  nextDeadline(): number | undefined {
    // Asked after every service round: plain loops, no arrays made (XS counts every one).
    let due = this.siren.nextDeadline();
    for (let i = 0; i < this.doors.length; i++) {
      const d = this.doors[i].nextDeadline();
      if (d !== undefined && (due === undefined || d < due)) due = d;
    }
    for (let i = 0; i < this.motion.length; i++) {
      const d = this.motion[i].nextDeadline();
      if (d !== undefined && (due === undefined || d < due)) due = d;
    }
    return due;
  }

  poll(now: number): void {
    for (const d of this.doors) d.poll(now);
    for (const m of this.motion) m.poll(now);
    this.siren.poll(now);
  }

  close(now: number): void {
    for (const d of this.doors) d.close();
    for (const m of this.motion) m.close();
    this.siren.close(now);
  }
}

/**
 * Checks the config (plus any host rules, e.g. the ESP32's GPIO table), then opens the
 * siren first — driven off — and the inputs after it, each reporting its boot reading.
 * Throws a PinConfigError naming every problem, having opened nothing.
 */
export function openDrivers(
  pins: PinFactory, clock: Pick<Clock, 'uptime'>, config: unknown, events: DriverEvents,
  hostRules: (config: PinConfig) => string[] = () => [],
): Drivers {
  let problems = pinConfigProblems(config);
  if (!problems.length) problems = hostRules(config as PinConfig);
  if (problems.length) throw new PinConfigError(problems);
  const c = config as PinConfig;
  const siren = new Siren(pins, clock, c.siren, events);
  const doors: Door[] = [];
  const motion: Motion[] = [];
  try {
    for (const d of c.doors ?? []) doors.push(new Door(pins, clock, d, events));
    for (const m of c.motion ?? []) motion.push(new Motion(pins, clock, m, events));
  } catch (err) {
    // Leave nothing half-open; the siren is closed off (the gate pull-down holds it off).
    new Drivers(siren, doors, motion).close(clock.uptime());
    throw err;
  }
  return new Drivers(siren, doors, motion);
}
