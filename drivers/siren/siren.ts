// The siren output: patterns as time-stepped on/off schedules, and a hard cap on sounding.
//
// Safety first, in this order:
// - The constructor drives the output off before it does anything else: a panel that
//   resets (brown-out, watchdog) never leaves the siren sounding. (Between reset and this
//   write only the hardware holds it off: a gate pull-down, see wiring.svg.)
// - The driver itself cuts the siren after `maxOnS` (default 900 s, the EN 50131 upper
//   bound for a bell cut-off) of continuous sounding, whatever the core asks: it forces
//   the output off, reports `onCap`, and refuses to sound again until `stop()` — the core
//   must acknowledge the cut-off before a new alarm can sound.
//
// A sounding runs from the first `play()` after silence until `stop()`, the cap, or the
// end of a one-shot pattern; switching patterns does not restart it. Time-injected: the
// host calls `poll(now)` at or after `nextDeadline()`.
import type { Uptime } from '../pin';
import type { DigitalLike, Level, PinFactory } from '../pin';
import { assertNoProblems, isIntegerIn, isNumberIn, optional } from '../input';

export type SirenPattern = 'alarm' | 'chirp_arm' | 'chirp_disarm' | 'chime' | 'exit_beep' | 'entry_beep' | 'warning';

/** Durations in ms, alternately on and off, starting on; `repeat`: loops until stopped. */
export interface Schedule {
  steps: readonly number[];
  repeat: boolean;
}

const pattern = (steps: number[], repeat: boolean): Schedule => Object.freeze({ steps: Object.freeze(steps), repeat });

// Without a prototype: a name from outside ("toString", "__proto__") finds nothing.
export const sirenPatterns: Readonly<Record<SirenPattern, Schedule>> = Object.freeze(Object.assign(Object.create(null), {
  alarm: pattern([Infinity], true),               // continuous, until stop() or the cap
  chirp_arm: pattern([150], false),               // one short chirp
  chirp_disarm: pattern([150, 150, 150], false),  // two short chirps
  chime: pattern([400], false),                   // one short tone: a door opened while disarmed
  exit_beep: pattern([150, 850], true),           // slow: 1 beep a second while the exit delay runs
  entry_beep: pattern([150, 350], true),          // faster: 2 beeps a second while the entry delay runs
  warning: pattern([100, 100, 100, 100, 100, 100, 100], false), // 4 quick beeps: tamper while disarmed
}));

export const sirenMaxOnS = 900;

export interface SirenConfig {
  pin: number;
  /** The siren sounds when the pin is low (default false: it sounds when high). */
  activeLow?: boolean;
  /** Hard cap on one sounding, in seconds (default and maximum 900). */
  maxOnS?: number;
}

export interface SirenEvents {
  /** The driver cut the siren at its cap. */
  onCap?(now: number): void;
}

export interface SirenState {
  /** The siren is sounding right now. */
  on: boolean;
  /** The pin level being driven. */
  level: Level;
  pattern: SirenPattern | 'off';
  /** When the current pattern (or the silence) began. */
  since: number;
  /** Cut off at the cap and not yet acknowledged by stop(). */
  capped: boolean;
}

/** One output change, for tests and the simulator. */
export interface SirenChange {
  at: number;
  on: boolean;
  pattern: SirenPattern | 'off';
}

/** How many output changes `history` keeps (a ring: the ESP32's memory is small). */
export const sirenHistoryLength = 64;

export function sirenProblems(c: SirenConfig, at = 'siren'): string[] {
  const p: string[] = [];
  if (!isIntegerIn(c.pin, 0, 255)) p.push(`${at}.pin must be a GPIO number`);
  optional(p, c.activeLow, typeof c.activeLow === 'boolean', `${at}.activeLow must be true or false`);
  optional(p, c.maxOnS, isNumberIn(c.maxOnS, 1, sirenMaxOnS), `${at}.maxOnS must be from 1 to ${sirenMaxOnS} s`);
  return p;
}

export class Siren {
  /** The last output changes, a ring (a shift of a full array is a move of every entry, on every change). */
  private readonly changes: SirenChange[] = [];
  private changed = 0;
  private readonly io: DigitalLike;
  private readonly onLevel: Level;
  private readonly maxOnMs: number;
  private pattern: SirenPattern | 'off' = 'off';
  private since: number;
  private sounding: number | undefined; // when the current sounding began
  private capped = false;
  private step = 0;
  private stepEnd = Infinity;
  private on = false;

  /** Opens the pin and drives it off first; a bad config then throws with the pin held off. */
  constructor(pins: PinFactory, clock: Uptime, config: SirenConfig, private readonly events: SirenEvents = {}) {
    const offLevel: Level = config.activeLow ? 1 : 0;
    this.io = pins({ pin: config.pin, mode: 'output', initialValue: offLevel }); // off from the instant it opens
    this.io.write(offLevel); // and again, for a pin handed over already open, or a provider without initialValue
    assertNoProblems(sirenProblems(config));
    this.onLevel = offLevel ? 0 : 1;
    this.maxOnMs = (config.maxOnS ?? sirenMaxOnS) * 1000;
    this.since = clock.uptime();
  }

  /** The last `sirenHistoryLength` output changes, oldest first (for tests and the simulator). */
  get history(): SirenChange[] {
    const from = this.changed % sirenHistoryLength; // the oldest (before the ring is full: past the end, nothing)
    return [...this.changes.slice(from), ...this.changes.slice(0, from)];
  }

  state(): SirenState {
    return { on: this.on, level: this.level(this.on), pattern: this.pattern, since: this.since, capped: this.capped };
  }

  /** Starts a pattern; a looping pattern already playing goes on undisturbed. False when capped. */
  play(pattern: SirenPattern, now: number): boolean {
    const schedule: Schedule | undefined = sirenPatterns[pattern];
    if (!schedule) throw new Error(`unknown siren pattern "${pattern}"`);
    if (this.capped) return false;
    if (pattern === this.pattern && schedule.repeat) return true;
    this.pattern = pattern;
    this.since = now;
    this.sounding ??= now;
    this.step = 0;
    this.stepEnd = now + schedule.steps[0];
    this.output(true, now);
    this.poll(now); // the cap may already be due
    return true;
  }

  /** Silences the siren and acknowledges a cut-off at the cap. */
  stop(now: number): void {
    this.capped = false;
    this.silence(now);
  }

  nextDeadline(): number | undefined {
    if (this.sounding === undefined) return undefined;
    return Math.min(this.stepEnd, this.sounding + this.maxOnMs);
  }

  poll(now: number): void {
    if (this.sounding === undefined) return;
    if (now >= this.sounding + this.maxOnMs) {
      this.capped = true;
      this.silence(now);
      this.events.onCap?.(now);
      return;
    }
    if (now < this.stepEnd) return;
    const { steps, repeat } = sirenPatterns[this.pattern as SirenPattern];
    // Step on from the schedule's own times, not the poll's, so a late poll does not
    // stretch the rhythm; only the output write lands at `now`.
    while (this.stepEnd <= now) {
      this.step++;
      if (this.step === steps.length) {
        if (!repeat) return this.silence(now);
        this.step = 0;
      }
      this.stepEnd += steps[this.step];
    }
    this.output(this.step % 2 === 0, now);
  }

  /** Drives the output off and closes the pin. */
  close(now: number): void {
    this.silence(now);
    this.io.close();
  }

  private silence(now: number): void {
    if (this.pattern !== 'off') this.since = now;
    this.pattern = 'off';
    this.sounding = undefined;
    this.stepEnd = Infinity;
    this.output(false, now);
  }

  private level(on: boolean): Level { return on ? this.onLevel : (this.onLevel ? 0 : 1); }

  private output(on: boolean, now: number): void {
    if (on === this.on) return;
    this.on = on;
    this.io.write(this.level(on));
    this.changes[this.changed % sirenHistoryLength] = { at: now, on, pattern: this.pattern };
    this.changed++;
  }
}
