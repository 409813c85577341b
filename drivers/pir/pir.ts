// A PIR motion detector: a 3.3 V logic output, or a 12 V PIR's alarm relay wired as a
// contact (NC by default, like a door).
//
// - Warm-up: a PIR settles for tens of seconds after power-up and may fire on its own, so
//   every pulse before `warmUpS` has passed since the driver opened is ignored; `onReady`
//   reports the end of the warm-up.
// - A pulse is a settled (debounced) change of the output to active. With `pulses` = n > 1,
//   a detection needs n pulses within `pulseWindowS` (the first and the n-th at most that
//   far apart): one stray pulse — a draught, a sunbeam — is not an alarm.
// - Hold-off: after a detection, pulses are ignored for `holdOffS`.
// - Motion is a momentary opening of the zone: `onChange(zone, true)` at the detection;
//   the zone closes once the PIR output is idle and at least `minOpenS` has passed since
//   the detection, whichever is later. Pulses that are not a detection (warm-up, hold-off,
//   too few) never open the zone, but an output still active keeps an open zone open.
import type { Uptime } from '../pin';
import type { PinFactory } from '../pin';
import {
  DebouncedInput, assertNoProblems, sooner, inputProblems, isIntegerIn, isNumberIn, openTamperLoop, optional,
  type InputPolarity,
} from '../input';

export interface MotionConfig extends InputPolarity {
  zone: number;
  pin: number;
  debounceMs?: number;
  /** Pulses are ignored this long after the driver opens (default 30 s). */
  warmUpS?: number;
  /** After a detection, pulses are ignored this long (default 10 s). */
  holdOffS?: number;
  /** Pulses needed for one detection (default 1). */
  pulses?: number;
  /** ... all within this time (default 10 s). */
  pulseWindowS?: number;
  /** The zone stays open at least this long after a detection (default 2 s). */
  minOpenS?: number;
  /** GPIO of the detector's tamper loop (NC), if wired. */
  tamperPin?: number;
}

export const motionDefaults = Object.freeze({ warmUpS: 30, holdOffS: 10, pulses: 1, pulseWindowS: 10, minOpenS: 2 } as const);

export interface MotionEvents {
  onChange(zone: number, open: boolean, now: number): void;
  onReady?(zone: number, now: number): void;
  onTamper?(zone: number, active: boolean, now: number): void;
  /** An edge arrived: `nextDeadline()` has moved to `due` (uptime ms); a host that sleeps comes back by then. */
  onEdge?(due: number, input: Motion): void;
}

export function motionProblems(c: MotionConfig, at = 'motion'): string[] {
  const p = inputProblems(c, at);
  optional(p, c.warmUpS, isNumberIn(c.warmUpS, 0, 300), `${at}.warmUpS must be from 0 to 300 s`);
  optional(p, c.holdOffS, isNumberIn(c.holdOffS, 0, 600), `${at}.holdOffS must be from 0 to 600 s`);
  optional(p, c.pulses, isIntegerIn(c.pulses, 1, 10), `${at}.pulses must be a whole number from 1 to 10`);
  optional(p, c.pulseWindowS, isNumberIn(c.pulseWindowS, 1, 300), `${at}.pulseWindowS must be from 1 to 300 s`);
  optional(p, c.minOpenS, isNumberIn(c.minOpenS, 0, 60), `${at}.minOpenS must be from 0 to 60 s`);
  return p;
}

export class Motion {
  readonly zone: number;
  private readonly pir: DebouncedInput;
  private readonly loop: DebouncedInput | undefined;
  private readonly clock: Uptime;
  private readonly readyAt: number;
  private readonly holdOffMs: number;
  private readonly pulsesNeeded: number;
  private readonly windowMs: number;
  private readonly minOpenMs: number;
  private warm = false;
  private pulseTimes: number[] = [];
  private holdOffUntil = -Infinity;
  private isOpen = false;
  private openUntil = 0;

  constructor(pins: PinFactory, clock: Uptime, config: MotionConfig, private readonly events: MotionEvents) {
    assertNoProblems(motionProblems(config));
    const c = config;
    const d = motionDefaults; // `??`, not a spread: a field given as undefined takes its default too
    const { zone } = c;
    this.zone = zone;
    const now = clock.uptime();
    this.readyAt = now + (c.warmUpS ?? d.warmUpS) * 1000;
    this.holdOffMs = (c.holdOffS ?? d.holdOffS) * 1000;
    this.pulsesNeeded = c.pulses ?? d.pulses;
    this.windowMs = (c.pulseWindowS ?? d.pulseWindowS) * 1000;
    this.minOpenMs = (c.minOpenS ?? d.minOpenS) * 1000;
    const edge = (due: number) => events.onEdge?.(due, this);
    this.pir = new DebouncedInput(pins, clock, c, (active, at) => this.settled(active, at), edge);
    this.loop = openTamperLoop(pins, clock, c, this.pir, (active, at) => events.onTamper?.(zone, active, at), edge);
    this.clock = clock;
  }

  /** Reports the boot readings (the constructor reports nothing: its caller is not ready yet). */
  start(): this {
    const now = this.clock.uptime();
    this.events.onChange(this.zone, false, now);
    if (this.loop) this.events.onTamper?.(this.zone, this.loop.active, now);
    this.poll(now); // a warm-up of 0 s is over at once
    return this;
  }

  /** The zone is open (a detection is being reported). */
  get open(): boolean { return this.isOpen; }
  /** The warm-up is over. */
  get ready(): boolean { return this.warm; }
  get tamper(): boolean | undefined { return this.loop?.active; }

  nextDeadline(): number | undefined {
    const holding = this.isOpen && !this.pir.active && this.pir.nextDeadline() === undefined ? this.openUntil : undefined;
    const own = sooner(this.warm ? undefined : this.readyAt, holding);
    return sooner(own, sooner(this.pir.nextDeadline(), this.loop?.nextDeadline()));
  }

  poll(now: number): void {
    if (!this.warm && now >= this.readyAt) {
      this.warm = true;
      this.events.onReady?.(this.zone, now);
    }
    this.pir.poll(now);
    this.loop?.poll(now);
    this.closeIfDue(now);
  }

  close(): void {
    this.pir.close();
    this.loop?.close();
  }

  private settled(active: boolean, now: number): void {
    if (!active) return this.closeIfDue(now);
    if (now < this.readyAt || now < this.holdOffUntil) return;
    const pulses = this.pulseTimes.filter((t) => now - t <= this.windowMs);
    pulses.push(now);
    if (pulses.length < this.pulsesNeeded) {
      this.pulseTimes = pulses;
      return;
    }
    this.pulseTimes = [];
    this.holdOffUntil = now + this.holdOffMs;
    this.openUntil = now + this.minOpenMs;
    if (this.isOpen) return;
    this.isOpen = true;
    this.events.onChange(this.zone, true, now);
  }

  private closeIfDue(now: number): void {
    // Not while a rising output is still settling: closing now would flicker closed and open.
    if (!this.isOpen || this.pir.active || this.pir.nextDeadline() !== undefined || now < this.openUntil) return;
    this.isOpen = false;
    this.events.onChange(this.zone, false, now);
  }
}
