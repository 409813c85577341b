// A test bench for the drivers: a simulated board, a hand-driven clock, and a host loop
// that polls exactly at each deadline, as a well-behaved host does. XS-safe: the
// scenario files (which also run inside xsnap) use it.
import { SimBoard, simPins, type Level } from '../../hosts/xs/sim-digital';
import type { DriverEvents } from '../../drivers/config';
import type { PinFactory, PinOptions } from '../../drivers/pin';

export interface Pollable {
  poll(now: number): void;
  nextDeadline(): number | undefined;
}

export class Bench {
  readonly board = new SimBoard();
  /** Every pin opened, in order: "GPIO 25 output". */
  readonly opened: string[] = [];
  readonly pins: PinFactory;
  now = 0;
  readonly clock = { uptime: () => this.now };
  /** What the drivers reported, as "1050 zone 1 open". */
  readonly log: string[] = [];
  readonly events: Required<DriverEvents>;
  private readonly drivers: Pollable[] = [];
  /** Output levels seen after each step: "1000 GPIO 25 = 1", only when they change. */
  readonly trace: string[] = [];
  private readonly watched = new Map<number, Level>();

  constructor() {
    const sim = simPins(this.board);
    this.pins = (options: PinOptions) => {
      this.opened.push(`GPIO ${options.pin} ${options.mode}`);
      return sim(options);
    };
    const log = (line: string) => this.log.push(`${this.now} ${line}`);
    this.events = {
      onChange: (zone, open, at) => log(`zone ${zone} ${open ? 'open' : 'closed'}${at === this.now ? '' : ` (reported at ${at})`}`),
      onTamper: (zone, active, at) => log(`zone ${zone} tamper ${active ? 'open' : 'closed'}${at === this.now ? '' : ` (at ${at})`}`),
      onReady: (zone) => log(`zone ${zone} ready`),
      onCap: () => log('siren cut off at its cap'),
      onEdge: () => {},
    };
  }

  /** Registers drivers for the host loop. */
  add<T extends Pollable>(driver: T): T {
    this.drivers.push(driver);
    return driver;
  }

  /** Traces an output pin's level in `trace` as time runs. */
  watch(pin: number): void {
    this.watched.set(pin, this.board.level(pin));
    this.trace.push(`${this.now} GPIO ${pin} = ${this.board.level(pin)}`);
  }

  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const d of this.drivers) {
      const t = d.nextDeadline();
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /** Runs the host loop up to and including time `t`: polls at every deadline on the way. */
  runTo(t: number): void {
    if (t < this.now) throw new Error(`time runs forward: ${t} < ${this.now}`);
    for (let due = this.nextDeadline(); due !== undefined && due <= t; due = this.nextDeadline()) {
      this.now = Math.max(this.now, due);
      for (const d of this.drivers) d.poll(this.now);
      this.sample();
    }
    this.now = t;
  }

  /** Polls everything once at time `t`, however late that is (a slow host). */
  pollAt(t: number): void {
    this.now = t;
    for (const d of this.drivers) d.poll(t);
    this.sample();
  }

  /** Runs to `t`, then acts there (siren.play, stop...) and samples the outputs. */
  at(t: number, act: () => void): void {
    this.runTo(t);
    act();
    this.sample();
  }

  /** Runs to `t`, then sets an input pin there (a contact moves, a PIR fires). */
  set(pin: number, level: Level, t = this.now): void {
    this.runTo(t);
    this.board.set(pin, level);
  }

  /** A bounce train: the pin flips at each given time, ending at `last`. */
  train(pin: number, times: number[], last: Level): void {
    times.forEach((t, i) => this.set(pin, ((times.length - 1 - i) % 2 === 0 ? last : 1 - last) as Level, t));
  }

  /** Takes and clears what was reported so far. */
  take(): string[] {
    return this.log.splice(0);
  }

  private sample(): void {
    for (const [pin, before] of this.watched) {
      const level = this.board.level(pin);
      if (level === before) continue;
      this.watched.set(pin, level);
      this.trace.push(`${this.now} GPIO ${pin} = ${level}`);
    }
  }
}

/** A tiny deterministic generator (no Math.random in scenarios): integers in [lo, hi]. */
export function lcg(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}
