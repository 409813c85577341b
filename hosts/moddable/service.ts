// One Timer drives the panel: it sleeps until the panel's next deadline, and a wake
// (an input edge, a command, a portal request) brings it forward to now.
import Timer from "timer";

export interface Serviced {
  service(): void;
  nextDeadline(): number | undefined;
}

/** The longest sleep: the uptime clock must be read at least once per 49 days (see clock.ts); an hour is plenty. */
export const MAX_SLEEP_MS = 3_600_000;

export class ServiceLoop {
  private timer: Timer | undefined;
  private target: Serviced | undefined;
  private running = false;
  private again = false;

  constructor(private readonly uptime: () => number, private readonly log: (line: string) => void) {}

  /** Starts servicing `target` now. */
  start(target: Serviced): void {
    this.target = target;
    this.schedule(0);
  }

  /** Services as soon as possible (a wake while servicing runs another round right after). */
  wake(): void {
    if (!this.target) return; // the panel is still opening: `start` services it right away
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  stop(): void {
    this.target = undefined;
    if (this.timer) Timer.clear(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const target = this.target;
    if (!target) return;
    this.running = true;
    this.again = false;
    let due: number | undefined;
    try {
      target.service();
      due = this.again ? this.uptime() : target.nextDeadline();
    } catch (err) {
      // Never let one bad round stop the loop: log it and try again in a second.
      this.log(`service: ${(err as Error).message}`);
      due = this.uptime() + 1000;
    } finally {
      this.running = false;
    }
    if (this.target) this.schedule(due === undefined ? MAX_SLEEP_MS : due - this.uptime());
  };

  private schedule(delay: number): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = Timer.set(this.fire, Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil(delay))));
  }
}
