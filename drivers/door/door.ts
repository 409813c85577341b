// A door or window contact (reed switch), with an optional tamper loop on its own pin.
//
// Reports the zone open/closed through `onChange` (debounced, see ./input), once at `start()`
// with the reading at boot and then on every settled change. The tamper loop is always
// NC: a loop that is cut or opened reads as tamper, which an NO loop could not detect.
import type { Uptime } from '../pin';
import type { PinFactory } from '../pin';
import { DebouncedInput, assertNoProblems, inputProblems, openTamperLoop, sooner, type InputPolarity } from '../input';

export interface DoorConfig extends InputPolarity {
  /** Zone number (1-based), as the core knows it. */
  zone: number;
  /** GPIO of the contact. */
  pin: number;
  /** A change counts once the level has been stable this long (default 50 ms). */
  debounceMs?: number;
  /** GPIO of the tamper loop (NC, same pull and polarity as the contact), if any. */
  tamperPin?: number;
}

export interface DoorEvents {
  onChange(zone: number, open: boolean, now: number): void;
  onTamper?(zone: number, active: boolean, now: number): void;
  /** An edge arrived: `nextDeadline()` has moved to `due` (uptime ms); a host that sleeps comes back by then. */
  onEdge?(due: number, input: Door): void;
}

export const doorProblems = (c: DoorConfig, at = 'door'): string[] => inputProblems(c, at);

export class Door {
  readonly zone: number;
  private readonly contact: DebouncedInput;
  private readonly loop: DebouncedInput | undefined;
  private readonly clock: Uptime;
  private readonly events: DoorEvents;

  constructor(pins: PinFactory, clock: Uptime, config: DoorConfig, events: DoorEvents) {
    assertNoProblems(doorProblems(config));
    const { zone } = config;
    this.zone = zone;
    this.clock = clock;
    this.events = events;
    const edge = (due: number) => events.onEdge?.(due, this);
    this.contact = new DebouncedInput(pins, clock, config, (open, at) => events.onChange(zone, open, at), edge);
    this.loop = openTamperLoop(pins, clock, config, this.contact, (active, at) => events.onTamper?.(zone, active, at), edge);
  }

  /** Reports the boot readings (the constructor reports nothing: its caller is not ready yet). */
  start(): this {
    const now = this.clock.uptime();
    this.events.onChange(this.zone, this.contact.active, now);
    if (this.loop) this.events.onTamper?.(this.zone, this.loop.active, now);
    return this;
  }

  /** The settled state of the contact. */
  get open(): boolean { return this.contact.active; }
  /** The settled state of the tamper loop; undefined when there is none. */
  get tamper(): boolean | undefined { return this.loop?.active; }

  nextDeadline(): number | undefined {
    return sooner(this.contact.nextDeadline(), this.loop?.nextDeadline());
  }

  poll(now: number): void {
    this.contact.poll(now);
    this.loop?.poll(now);
  }

  close(): void {
    this.contact.close();
    this.loop?.close();
  }
}
