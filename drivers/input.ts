// A debounced digital input: the building block of door contacts, tamper loops and PIRs.
//
// Edges only mark the time of the latest change; the level is taken as settled once it
// has been stable for the debounce time, and read at that moment. So a bounce train of
// any length gives at most one change, `debounceMs` after its last edge, and a glitch
// that returns to the old level gives none. Time-injected: no timers here; the host calls
// `poll(now)` at or after `nextDeadline()`.
import type { Uptime } from './pin';
import type { DigitalLike, Level, PinFactory, PinMode } from './pin';

export type Wiring = 'NC' | 'NO';
export type Pull = 'up' | 'down' | 'none';

export interface InputPolarity {
  /** NC: the contact is closed at rest and opens on alarm (the default). NO: the reverse. */
  wiring?: Wiring;
  /** Internal pull resistor (default 'up'). 'none' when the board has an external one. */
  pull?: Pull;
  /** The closed contact reads 0 (a contact to GND; the default unless `pull` is 'down'). */
  activeLow?: boolean;
}

export const defaultDebounceMs = 50;

/** The pin level that means "open" (alarm) for a contact wired this way. */
export function openLevel({ wiring = 'NC', pull = 'up', activeLow = pull !== 'down' }: InputPolarity): Level {
  const closedLevel: Level = activeLow ? 0 : 1;
  return wiring === 'NC' ? (closedLevel ? 0 : 1) : closedLevel;
}

export const pullMode = (pull: Pull = 'up'): PinMode =>
  pull === 'up' ? 'input-pull-up' : pull === 'down' ? 'input-pull-down' : 'input';

export interface DebouncedInputOptions extends InputPolarity {
  pin: number;
  debounceMs?: number;
}

export class DebouncedInput {
  /** The settled state: true while the contact is open (the alarm side). */
  active: boolean;
  private readonly io: DigitalLike;
  private readonly activeLevel: Level;
  private readonly debounceMs: number;
  private lastEdge: number | undefined;

  constructor(
    pins: PinFactory,
    private readonly clock: Uptime,
    options: DebouncedInputOptions,
    private readonly onSettled: (active: boolean, now: number) => void,
    /** Told of every edge, with when its debounce ends: a host that sleeps comes back by then. */
    onEdge?: (due: number) => void,
  ) {
    this.activeLevel = openLevel(options);
    this.debounceMs = options.debounceMs ?? defaultDebounceMs;
    if (!(this.debounceMs >= 0)) throw new Error(`GPIO ${options.pin}: debounce must be 0 ms or more`);
    this.io = pins({
      pin: options.pin, mode: pullMode(options.pull), edge: 'both',
      onReadable: () => {
        this.lastEdge = this.clock.uptime();
        onEdge?.(this.lastEdge + this.debounceMs);
      },
    });
    this.active = this.io.read() === this.activeLevel;
  }

  nextDeadline(): number | undefined {
    return this.lastEdge === undefined ? undefined : this.lastEdge + this.debounceMs;
  }

  poll(now: number): void {
    if (this.lastEdge === undefined || now < this.lastEdge + this.debounceMs) return; // (every input, every round)
    this.lastEdge = undefined;
    const active = this.io.read() === this.activeLevel;
    if (active === this.active) return; // a glitch that came back
    this.active = active;
    this.onSettled(active, now);
  }

  close(): void { this.io.close(); }
}

/**
 * A sensor's tamper loop, if one is wired: always NC (a cut or opened loop reads as tamper),
 * with the sensor's own pull and polarity, debounced. If it cannot open, `sensor` (the
 * sensor's input, already open) is closed before the error goes on: nothing is left half-open.
 */
export function openTamperLoop(
  pins: PinFactory, clock: Uptime, config: DebouncedInputOptions & { tamperPin?: number }, sensor: DebouncedInput,
  onSettled: (active: boolean, now: number) => void, onEdge: (due: number) => void,
): DebouncedInput | undefined {
  if (config.tamperPin === undefined) return undefined;
  try {
    return new DebouncedInput(pins, clock, { ...config, wiring: 'NC', pin: config.tamperPin }, onSettled, onEdge);
  } catch (err) {
    sensor.close();
    throw err;
  }
}

/** The sooner of two optional deadlines (two arguments, no array: asked after every service round). */
export const sooner = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || (b !== undefined && b < a) ? b : a;

// Config checks. Each returns problems as readable sentences (empty when fine); `at`
// names the entry ("doors[0]") so a message points at the offending line of a config.

export const isIntegerIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
export const isNumberIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && v >= min && v <= max;

/** Adds `problem` unless the optional field is absent or `ok`. */
export function optional(problems: string[], value: unknown, ok: boolean, problem: string): void {
  if (value !== undefined && !ok) problems.push(problem);
}

export function inputProblems(c: DebouncedInputOptions & { zone?: unknown; tamperPin?: unknown }, at: string): string[] {
  const p: string[] = [];
  if (!isIntegerIn(c.zone, 1, 255)) p.push(`${at}.zone must be a zone number from 1 to 255`);
  if (!isIntegerIn(c.pin, 0, 255)) p.push(`${at}.pin must be a GPIO number`);
  optional(p, c.tamperPin, isIntegerIn(c.tamperPin, 0, 255), `${at}.tamperPin must be a GPIO number`);
  optional(p, c.wiring, c.wiring === 'NC' || c.wiring === 'NO', `${at}.wiring must be "NC" or "NO"`);
  optional(p, c.pull, c.pull === 'up' || c.pull === 'down' || c.pull === 'none', `${at}.pull must be "up", "down" or "none"`);
  optional(p, c.activeLow, typeof c.activeLow === 'boolean', `${at}.activeLow must be true or false`);
  optional(p, c.debounceMs, isNumberIn(c.debounceMs, 0, 1000), `${at}.debounceMs must be from 0 to 1000 ms`);
  return p;
}

/** Throws one error naming every problem, if there are any. */
export function assertNoProblems(problems: string[]): void {
  if (problems.length) throw new Error(problems.join('; '));
}
