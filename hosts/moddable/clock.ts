// The panel's clock on Moddable builds (ESP32, lin): uptime from Time.ticks, wall time from SNTP only.
//
// Time.ticks is the millisecond tick counter as a signed 32-bit integer (Moddable's
// xs_time_ticks hands modMilliseconds() to xsmcSetInteger): it turns negative after 24.8
// days and wraps after 49.7. `uptime` adds up the differences modulo 2^32, so it only
// needs to be read at least once per 49 days; the service loop never sleeps longer than
// an hour.
//
// Wall time is known only once our own SNTP request has been answered (`setWallTime`,
// called from network.ts): the system clock is not read, since after a reset it holds
// whatever it held before, or 1970.
import Time from "time";
import type { Clock } from "../../src/core/clock";

/** 2024-01-01T00:00:00Z: an SNTP answer before this is wrong, not news. */
const EARLIEST_BELIEVABLE = 1_704_067_200;

export class ModdableClock implements Clock {
  private last = Time.ticks;
  private elapsed = 0;
  private wall: { seconds: number; at: number } | undefined;

  uptime(): number {
    const now = Time.ticks;
    this.elapsed += (now - this.last) >>> 0;
    this.last = now;
    return this.elapsed;
  }

  wallTime(): number | undefined {
    if (!this.wall) return undefined;
    return this.wall.seconds + Math.floor((this.uptime() - this.wall.at) / 1000);
  }

  /**
   * An SNTP answer (Unix seconds). Sets the ESP32's own clock too, which the TLS stack
   * checks certificate dates against. False, changing nothing, for an unbelievable time.
   */
  setWallTime(seconds: number): boolean {
    if (!Number.isInteger(seconds) || seconds < EARLIEST_BELIEVABLE) return false;
    Time.set(seconds);
    this.wall = { seconds, at: this.uptime() };
    return true;
  }
}
