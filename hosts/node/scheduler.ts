// The Node host's one timer: it runs the scheduler (src/scheduler.ts) at its next deadline,
// and on the next turn of the event loop after a wake. There is no polling loop.
import { performance } from 'node:perf_hooks';
import { Scheduler, type Serviced } from '../../src/scheduler.ts';

/** Longest a Node timer can sleep (2^31 − 1 ms); a later deadline is slept toward in steps. */
const MAX_SLEEP_MS = 2 ** 31 - 1;

export interface NodeTimerOptions {
  /** The uptime clock in ms (default: performance.now()). */
  uptime?: () => number;
  /** The uptime clock runs this many times faster than real time (default 1). */
  speed?: number;
  /** An exception a thing threw: the host logs it and carries on (default: it is thrown). */
  onError?: (err: unknown) => void;
  /** After every round (viewers refresh). */
  afterRound?: () => void;
}

export class NodeTimer {
  readonly scheduler: Scheduler;
  private readonly uptime: () => number;
  private readonly speed: number;
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private stopped = false;

  constructor(private readonly options: NodeTimerOptions = {}) {
    this.scheduler = new Scheduler(options.onError);
    this.uptime = options.uptime ?? (() => performance.now());
    this.speed = options.speed ?? 1;
  }

  /** Services `thing` from now on (`now`: a round at once, else on the next turn). */
  start(thing: Serviced, now = false): void {
    this.scheduler.add(thing);
    if (now) this.round();
    else this.wake();
  }

  /**
   * A round on the next turn of the event loop, or by `at` (uptime ms: the timer is brought
   * forward). Ignored before `start` and after `stop`.
   */
  wake(at?: number): void {
    if (this.stopped || this.scheduler.size === 0) return;
    if (!this.scheduler.wake(at) || this.soon) return; // inside a round: it comes back at once
    if (at !== undefined) return this.sleep(at);
    this.soon = true;
    setImmediate(this.round);
  }

  /** No more rounds (the things themselves are not stopped). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly round = (): void => {
    this.soon = false;
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.scheduler.run(this.uptime());
    this.options.afterRound?.();
    if (due === undefined || this.stopped) return;
    this.sleep(due);
  };

  /** The next round at uptime `due`. */
  private sleep(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    const sleep = Math.ceil((due - this.uptime()) / this.speed);
    this.timer = setTimeout(this.round, Math.min(MAX_SLEEP_MS, Math.max(0, sleep)));
  }
}
