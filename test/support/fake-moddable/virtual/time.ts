// STAND-IN for Moddable's `time` module on the virtual ESP32, test only.
// `ticks` is a signed 32-bit millisecond count, as xs_time_ticks hands it to XS.
import { world } from './world';

const Time = {
  get ticks(): number { return world.ticks; },
  set(seconds: number): void {
    world.clockSets.push(seconds);
    world.record(`clock set to ${seconds}`);
  },
  timezone: 0,
  dst: 0,
  delta(start: number, end: number = world.ticks): number { return (end - start) | 0; },
};
export default Time;
