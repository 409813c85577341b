// The one scheduler of a host, without the timer: the host's single timer (a Moddable Timer,
// a Node setTimeout, a test's hand-driven clock) asks it what is due and when to come back.
//
// Nothing here sleeps or reads a clock: `run(now)` services every thing once and returns
// when the next round is due; `wake()` (a command, a portal request, a socket that has bytes)
// says a round is due at once, `wake(at)` (an input edge: its debounce ends at `at`) that one
// is due by then. Drivers, the core's deadlines and the uplink all come back through the
// panel's `service()`, so a host has one thing to schedule.

/** Something a scheduler services: at its deadline, and at once when woken. */
export interface Serviced {
  /** Runs what is due at `now` (uptime ms; a thing with a clock of its own may ignore it). */
  service(now: number): void;
  /** When `service` is due next (uptime ms), or undefined: only a wake. */
  nextDeadline(): number | undefined;
}

/** After a round that threw: the next one no sooner than this (ms), so a failure never spins. */
export const RETRY_MS = 1000;

export class Scheduler {
  /** Copied on change, never changed in place: a round goes through the list it started with. */
  private things: readonly Serviced[] = [];
  private running = false;
  /** A wake came (maybe during a round): the next round is due now. */
  woken = false;
  /**
   * When the host's timer comes back (uptime ms): what the last round returned, brought
   * forward by `wake(at)`; undefined: only a wake.
   */
  next: number | undefined;

  /**
   * `onError`: what to do with an exception a thing throws (log it, on a device that must keep
   * protecting); the other things are still serviced and the next round comes in RETRY_MS.
   * Without it the exception goes to the caller of `run`, as tests want.
   */
  constructor(private readonly onError?: (err: unknown) => void) {}

  add(thing: Serviced): void {
    if (!this.things.includes(thing)) this.things = [...this.things, thing];
  }

  remove(thing: Serviced): void {
    this.things = this.things.filter((t) => t !== thing);
  }

  get size(): number {
    return this.things.length;
  }

  /**
   * A round is due at once, or by `at` (uptime ms). True when the host's timer must be brought
   * forward (to now, or to `next`). Inside a round a `wake(at)` needs nothing: the round's own
   * answer asks every thing for its deadline. A wake by `at` costs no round before then, so
   * an edge does not pay for a whole service round on its way to the siren.
   */
  wake(at?: number): boolean {
    if (at === undefined) {
      this.woken = true;
      return !this.running;
    }
    if (this.running || this.woken || (this.next !== undefined && this.next <= at)) return false;
    this.next = at;
    return true;
  }

  /** The earliest deadline of all things (uptime ms), or undefined. */
  nextDeadline(): number | undefined {
    let due: number | undefined;
    for (let i = 0; i < this.things.length; i++) {
      const d = this.things[i].nextDeadline();
      if (d !== undefined && (due === undefined || d < due)) due = d;
    }
    return due;
  }

  /**
   * One round at `now`: every thing serviced once. Returns when the next round is due: `now`
   * when woken during the round, else the earliest deadline (undefined: only a wake); after a
   * failure, `now + RETRY_MS`.
   */
  run(now: number): number | undefined {
    this.running = true;
    this.woken = false;
    let failed = false;
    try {
      const things = this.things;
      for (let i = 0; i < things.length; i++) {
        const thing = things[i];
        if (!this.onError) {
          thing.service(now);
          continue;
        }
        try {
          thing.service(now);
        } catch (err) {
          failed = true;
          this.onError(err);
        }
      }
    } finally {
      this.running = false;
    }
    this.next = failed ? now + RETRY_MS : this.woken ? now : this.nextDeadline();
    return this.next;
  }
}
