// Time, as the core sees it: handed in by the host, never read from a global.

export interface Clock {
  /** Monotonic milliseconds since boot. */
  uptime(): number;
  /** Wall time in Unix seconds, or undefined until SNTP (or the user) has set it. */
  wallTime(): number | undefined;
}
