// Repeated log lines, counted: a flood of refused commands makes one line a minute, not one
// line per message (a console over a serial port at 115,200 baud is slow, and a log that
// scrolls by thousands of identical lines hides everything else).

/** Kinds of line counted at once; beyond that, lines are logged as they come. */
const MAX_KINDS = 32;

export class LogTally {
  private readonly kinds = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly uptime: () => number,
    /** How often a count is logged, ms. */
    private readonly everyMs = 60_000,
  ) {}

  /**
   * One occurrence of `kind` (e.g. "commands refused (bad_mac)"): the first of a run is logged
   * as `line`, the next ones are counted until `flush` reports them.
   */
  note(kind: string, line: string): void {
    const k = this.kinds.get(kind);
    if (k) {
      k.count++;
      return;
    }
    this.log(line);
    if (this.kinds.size < MAX_KINDS) this.kinds.set(kind, { count: 0, since: this.uptime() });
  }

  /** Logs "N <kind> since uptime T s" for each kind whose period is over; a kind that stayed quiet starts afresh. */
  flush(): void {
    const now = this.uptime();
    for (const [kind, k] of this.kinds) {
      if (now - k.since < this.everyMs) continue;
      if (k.count === 0) {
        this.kinds.delete(kind);
        continue;
      }
      this.log(`${k.count} ${kind} since uptime ${Math.floor(k.since / 1000)} s`);
      k.count = 0;
      k.since = now;
    }
  }
}
