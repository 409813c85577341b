// The one Timer of a Moddable host: it runs the scheduler (src/scheduler.ts) at its next
// deadline, and a wake (an input edge, a command, a portal request, a socket's bytes)
// brings it forward to now.
import Timer from "timer";
import { Scheduler, type Serviced } from "../../src/scheduler";

export type { Serviced };

/** The longest sleep: the uptime clock must be read at least once per 49 days (see clock.ts); an hour is plenty. */
export const MAX_SLEEP_MS = 3_600_000;

export class ServiceLoop {
  private timer: Timer | undefined;
  private stopped = false;
  private readonly scheduler: Scheduler;

  constructor(private readonly uptime: () => number, log: (line: string) => void) {
    // Never let one bad round stop the loop: log it, and the scheduler tries again in a second.
    this.scheduler = new Scheduler((err) => log(`service: ${(err as Error)?.message ?? String(err)}`));
  }

  /** Starts servicing `target` now (with whatever else it services). */
  start(target: Serviced): void {
    this.stopped = false;
    this.scheduler.add(target);
    this.schedule(0);
  }

  /**
   * Services as soon as possible (a wake while servicing runs another round right after), or
   * by `at` (uptime ms): the timer is brought forward, no round runs before.
   */
  wake(at?: number): void {
    if (this.stopped || this.scheduler.size === 0) return; // the panel is still opening: `start` services it right away
    if (this.scheduler.wake(at)) this.schedule(at === undefined ? 0 : at - this.uptime());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) Timer.clear(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const due = this.scheduler.run(this.uptime());
    if (!this.stopped) this.schedule(due === undefined ? MAX_SLEEP_MS : due - this.uptime());
  };

  private schedule(delay: number): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = Timer.set(this.fire, Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil(delay))));
  }
}
