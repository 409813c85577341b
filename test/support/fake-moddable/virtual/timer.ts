// STAND-IN for Moddable's `timer` module on virtual time (world.advance runs it), test only.
import { world } from './world';

type Callback = Parameters<typeof world.setTimer>[0];
type Handle = ReturnType<typeof world.setTimer>;

const Timer = {
  set(callback: Callback, interval = 0, repeat?: number): Handle { return world.setTimer(callback, interval, repeat); },
  repeat(callback: Callback, interval: number): Handle { return world.setTimer(callback, interval, interval); },
  schedule(): void { throw new Error('stand-in: Timer.schedule is not used by the host'); },
  clear(timer: Handle | undefined | null): void { world.clearTimer(timer); },
  delay(): void { throw new Error('stand-in: Timer.delay would block the virtual ESP32'); },
};
export default Timer;
