// Simulated ECMA-419 Digital pins, for hosts without GPIO (the Node simulator, xsnap,
// Moddable's `lin` build). The harness sets input levels; drivers see edges exactly as
// they would on an ESP32. Plain ECMAScript: runs in XS.
import { digitalPins, type PinFactory } from '../../drivers/pin';
import type { Board } from '../../drivers/board';
import { defaultPinConfig } from '../../drivers/config';

/**
 * The board of a simulation that gives any GPIO (the lin build, the hand-clocked SimHost): no
 * strapping or flash pins, the ESP32's default pins.
 */
export const anyPinBoard: Board = Object.freeze({
  id: 'sim',
  title: 'simulated pins',
  defaultPins: defaultPinConfig,
  setupButtonPin: 0,
  gpioCount: 64,
  pinProblem: () => undefined,
  pinProblems: () => [],
});

export type Level = 0 | 1;

export const Input = 'input';
export const InputPullUp = 'input-pull-up';
export const InputPullDown = 'input-pull-down';
export const Output = 'output';
export const Rising = 1;
export const Falling = 2;

export interface DigitalOptions {
  pin: number;
  mode: string;
  edge?: number;
  onReadable?: (this: SimDigital) => void;
  /** Outputs: the level at open (as Moddable's ESP32 provider: gpio_set_level before the pin becomes an output); 0 when absent. */
  initialValue?: number;
}

/** The board: every pin's level, and who listens to it. */
export class SimBoard {
  private levels = new Map<number, Level>();
  private listeners = new Map<number, SimDigital>();
  /** Every output write, in order: [pin, level]. */
  readonly writes: Array<[number, Level]> = [];

  level(pin: number): Level { return this.levels.get(pin) ?? 0; }

  /** The pin has a level of its own (set from outside or driven), not just the default. */
  isSet(pin: number): boolean { return this.levels.has(pin); }

  /** Drives an input pin from outside (a door opens, a PIR fires). */
  set(pin: number, level: Level): void {
    const listener = this.listeners.get(pin);
    if (listener?.isOutput) throw new Error(`GPIO ${pin} is an output: the board drives it, not the harness`);
    const before = this.level(pin);
    this.levels.set(pin, level);
    if (listener && before !== level) listener.edge(level ? Rising : Falling);
  }

  /** @internal */ attach(pin: number, io: SimDigital, initial?: Level) {
    if (this.listeners.has(pin)) throw new Error(`GPIO ${pin} is already in use`);
    this.listeners.set(pin, io);
    if (initial !== undefined && !this.levels.has(pin)) this.levels.set(pin, initial);
  }
  /** @internal */ detach(pin: number) { this.listeners.delete(pin); }
  /** @internal */ drive(pin: number, level: Level) { this.levels.set(pin, level); this.writes.push([pin, level]); }
}

/** Output writes a WatchedBoard keeps for inspection (it would otherwise grow with every beep). */
const KEPT_WRITES = 256;

/** A SimBoard that tells its owner about every output write (a siren lamp, a control link). */
export class WatchedBoard extends SimBoard {
  onDrive: ((pin: number, level: Level) => void) | undefined;

  override drive(pin: number, level: Level): void {
    super.drive(pin, level);
    if (this.writes.length > KEPT_WRITES) this.writes.splice(0, this.writes.length - KEPT_WRITES);
    this.onDrive?.(pin, level);
  }
}

export class SimDigital {
  static readonly Input = Input;
  static readonly InputPullUp = InputPullUp;
  static readonly InputPullDown = InputPullDown;
  static readonly Output = Output;
  static readonly Rising = Rising;
  static readonly Falling = Falling;

  private readonly pin: number;
  private readonly mode: string;
  private readonly watch: number;
  private readonly onReadable?: (this: SimDigital) => void;
  private closed = false;

  constructor(readonly board: SimBoard, options: DigitalOptions) {
    this.pin = options.pin;
    this.mode = options.mode;
    this.watch = options.edge ?? 0;
    this.onReadable = options.onReadable;
    // A pull-up reads 1 while nothing drives the pin, like the real input.
    board.attach(this.pin, this, options.mode === InputPullUp ? 1 : options.mode === Output ? undefined : 0);
    // An output drives its initial level from the moment it opens (recorded like any write).
    if (options.mode === Output) board.drive(this.pin, Number(options.initialValue) ? 1 : 0);
  }

  get isOutput(): boolean { return this.mode === Output; }

  read(): Level { return this.board.level(this.pin); }

  write(value: Level): void {
    if (this.mode !== Output) throw new Error(`GPIO ${this.pin} is not an output`);
    if (this.closed) throw new Error(`GPIO ${this.pin} is closed`);
    this.board.drive(this.pin, value);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.board.detach(this.pin);
  }

  /** @internal */ edge(kind: number): void {
    if (!this.closed && this.watch & kind) this.onReadable?.call(this);
  }
}

/** A `device` object shaped like Moddable's embedded:provider/builtin, over one board. */
export function simDevice(board = new SimBoard()) {
  class Digital extends SimDigital {
    constructor(options: DigitalOptions) { super(board, options); }
  }
  return { board, io: { Digital } };
}

/** The drivers' pin factory over a simulated board: the same adapter the ESP32 host uses. */
export function simPins(board: SimBoard): PinFactory {
  return digitalPins(simDevice(board).io.Digital);
}

/** The default simulated device, for Moddable's `lin` build (no GPIO there). */
export default simDevice();
