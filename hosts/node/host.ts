// The Node host: the whole panel on a PC. Real time (optionally sped up), files for flash,
// simulated pins on a SimBoard, real sockets for the uplink. One timer (./scheduler.ts) sleeps
// until the panel's next deadline; `wake` brings the next service forward. There is no polling loop.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Host, Panel } from '../../src/app.ts';
import type { Clock } from '../../src/core/clock.ts';
import { eachInput, type PinConfig } from '../../drivers/config.ts';
import type { Board } from '../../drivers/board.ts';
import { board as esp32 } from '../../drivers/boards/esp32.ts';
import { openLevel } from '../../drivers/input.ts';
import type { PinFactory } from '../../drivers/pin.ts';
import { WatchedBoard, simPins, type Level } from '../xs/sim-digital.ts';
import { FileStorage } from './file-storage.ts';
import { nodeConnect } from './transport.ts';
import { NodeTimer } from './scheduler.ts';

/**
 * Uptime in ms since `start`, `speed` times faster than real time (whole ms: events carry
 * integers). The wall clock stays the real one: event times and command freshness are true.
 */
export function speedClock(speed = 1, start = performance.now()): Clock {
  return {
    uptime: () => Math.floor((performance.now() - start) * speed),
    wallTime: () => Math.floor(Date.now() / 1000),
  };
}

export interface NodeHostOptions {
  /** Where the panel's flash lives (a directory of files). */
  flashDir: string;
  /** The simulated clock runs this many times faster than real time (default 1). */
  speed?: number;
  /** One console line (default: stdout). */
  log?: (line: string) => void;
  /** The pin config in use: inputs the drivers open are wired closed from it (default: none). */
  wiring?: () => PinConfig | undefined;
  /** The board variant whose GPIO rules the simulator applies (default: the ESP32, drivers/boards/esp32). */
  board?: Board;
}

export class NodeHost implements Host {
  readonly speed: number;
  readonly clock: Clock;
  readonly storage: FileStorage;
  readonly board = new WatchedBoard();
  readonly pins: PinFactory;
  /** The board variant simulated: its GPIO rules and default pins (`board` is the simulated pins' state). */
  readonly variant: Board;
  readonly pinRules: (config: PinConfig) => string[]; // the simulator refuses the pins the real panel would
  readonly connect = nodeConnect;
  readonly random = Math.random;
  /** Called after every service (and after the control API moves a pin): viewers refresh. */
  onService: (() => void) | undefined;

  private readonly logLine: (line: string) => void;
  private readonly timer: NodeTimer;

  constructor(options: NodeHostOptions) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed must be a number above 0, got ${options.speed}`);
    this.clock = speedClock(this.speed);
    this.variant = options.board ?? esp32;
    this.pinRules = this.variant.pinProblems;
    this.storage = new FileStorage(options.flashDir);
    this.logLine = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.timer = new NodeTimer({
      uptime: () => this.clock.uptime(), speed: this.speed,
      // Keep protecting: log it and carry on (in a second of panel time: no spinning).
      onError: (err) => this.log(`panel: ${(err as Error).stack ?? err}`),
      afterRound: () => this.onService?.(),
    });
    const open = simPins(this.board);
    const wiring = options.wiring ?? (() => undefined);
    // An input nobody has set yet reads as its closed contact, as healthy wiring holds it:
    // at boot and when the portal moves a zone to a new pin.
    this.pins = (pin) => {
      if (pin.mode !== 'output' && !this.board.isSet(pin.pin)) {
        const pins = wiring();
        if (pins) this.wire(pins);
      }
      return open(pin);
    };
  }

  randomBytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }

  log(line: string): void {
    this.logLine(line);
  }

  wake(at?: number): void {
    this.timer.wake(at);
  }

  /** Every input of `pins` not yet set, at its closed level (a tamper loop is NC: closed reads 0). */
  wire(pins: PinConfig): void {
    eachInput(pins, (zone) => {
      if (!this.board.isSet(zone.pin)) this.board.set(zone.pin, openLevel(zone) === 1 ? 0 : 1);
      if (zone.tamperPin !== undefined && !this.board.isSet(zone.tamperPin)) this.board.set(zone.tamperPin, 0);
    });
  }

  /** Services the panel now and from then on at its deadlines, until `stop()`. */
  drive(panel: Panel): void {
    this.timer.start(panel, true);
  }

  /** No more services (the panel itself is not closed). */
  stop(): void {
    this.timer.stop();
  }
}
