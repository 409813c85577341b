// A whole panel on simulated hardware with a hand-driven clock: memory flash, a SimBoard for
// the pins, and whatever transport the caller gives. Runs inside XS and on Node, so app
// scenarios and benchmarks drive the real app exactly as a host would, without real time.
import type { Host, Panel, PanelOptions } from '../../src/app';
import { boot } from '../../src/boot';
import type { PanelConfig } from '../../src/config';
import { eachInput, type PinConfig } from '../../drivers/config';
import { openLevel } from '../../drivers/input';
import type { Connect } from '../../src/uplink/transport';
import { MemoryStorage } from './memory-storage';
import { SimBoard, anyPinBoard, simPins, type Level } from './sim-digital';
import { seeded } from './seeded';
import { Scheduler } from '../../src/scheduler';


const offline: Connect = (_target, events) => {
  events.onClose('no network in this simulation');
  return { write: () => false, close: () => {} };
};

export interface SimHostOptions {
  storage?: MemoryStorage;
  board?: SimBoard;
  connect?: Connect;
  /** Wall time (Unix s) at uptime 0; undefined: the clock was never set. */
  wallStart?: number;
  seed?: number;
}

export class SimHost implements Host {
  uptimeMs = 0;
  readonly storage: MemoryStorage;
  readonly board: SimBoard;
  readonly connect: Connect;
  readonly lines: string[] = [];
  readonly random: () => number;
  readonly pins;
  /** The host's one scheduler, run by hand (`runTo`); exceptions reach the test. */
  private readonly scheduler = new Scheduler();
  /** The panel `runTo` services (one at a time, as on a device). */
  private serviced: Panel | undefined;
  readonly clock;

  constructor(options: SimHostOptions = {}) {
    this.storage = options.storage ?? new MemoryStorage();
    this.board = options.board ?? new SimBoard();
    this.connect = options.connect ?? offline;
    this.random = seeded(options.seed);
    this.pins = simPins(this.board);
    const wallStart = options.wallStart;
    this.clock = {
      uptime: () => this.uptimeMs,
      wallTime: () => (wallStart === undefined ? undefined : wallStart + Math.floor(this.uptimeMs / 1000)),
    };
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }

  log(line: string): void { this.lines.push(line); }
  wake(at?: number): void { this.scheduler.wake(at); }

  /** Opens a panel on this host (a boot), its sensors wired and closed unless set otherwise. */
  open(config: PanelConfig, options?: PanelOptions): Panel {
    this.wire(config.pins);
    const booted = boot(this, anyPinBoard, { config, panel: options });
    if (!booted.ok) throw booted.error;
    return booted.panel;
  }

  /** Every input of `pins` at its closed level, as healthy wiring holds it (pins already set stay). */
  wire(pins: PinConfig): void {
    eachInput(pins, (zone) => {
      if (!this.board.isSet(zone.pin)) this.board.set(zone.pin, openLevel(zone) === 1 ? 0 : 1);
      // A tamper loop is NC to ground with a pull-up: closed reads 0.
      if (zone.tamperPin !== undefined && !this.board.isSet(zone.tamperPin)) this.board.set(zone.tamperPin, 0);
    });
  }

  /** Advances the clock to `until`, servicing the panel at every deadline (and wake) on the way. */
  runTo(panel: Panel, until: number): void {
    const s = this.scheduler;
    if (this.serviced !== panel) {
      if (this.serviced) s.remove(this.serviced);
      s.add(panel);
      this.serviced = panel;
      s.wake();
    }
    // As the device's one timer: a round when woken, else at the time the last round asked
    // for (or a wake brought forward), and no round when nothing is due.
    for (let guard = 0; guard < 100_000; guard++) {
      const due = s.woken ? this.uptimeMs : s.next;
      if (due === undefined || due > until) break;
      if (due > this.uptimeMs) this.uptimeMs = due;
      s.run(this.uptimeMs);
    }
    this.uptimeMs = Math.max(this.uptimeMs, until);
  }

  /** Drives an input pin, as a door or PIR would. */
  set(pin: number, level: Level): void {
    this.board.set(pin, level);
  }
}
