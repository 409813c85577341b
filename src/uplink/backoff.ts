// Reconnect delays: exponential from `min` to `max`, with jitter so that a fleet of panels
// cut off by the same broker outage does not come back in lockstep.

export interface BackoffRange {
  /** First delay, ms (default 1 s). */
  min: number;
  /** Longest delay, ms (default 60 s). */
  max: number;
}

export const defaultBackoff: BackoffRange = Object.freeze({ min: 1_000, max: 60_000 });

/**
 * Delay before reconnect attempt number `attempt` (0 = first retry): a random point in the
 * upper half of min·2^attempt, capped at max ("equal jitter": never shorter than half).
 */
export function backoffDelay(attempt: number, range: BackoffRange, random: () => number): number {
  const base = Math.min(range.max, range.min * 2 ** Math.min(Math.max(attempt, 0), 30));
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0.5; // a broken random source must not break reconnects
  return Math.round(base / 2 + (unit * base) / 2);
}
