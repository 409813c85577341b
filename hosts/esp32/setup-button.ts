// The set-up button: held down for 3 s in the first seconds after boot, it puts the panel
// in set-up mode.
//
// It is read only after boot, never at reset: the DevKit's BOOT button (board.setupButtonPin:
// GPIO 0 on the ESP32 and ESP32-S3, GPIO 9 on the ESP32-C3) is a strapping pin, and held low
// at reset the chip waits for a firmware download instead of starting. So: reset the board,
// then press and hold the button.
import device from "embedded:provider/builtin";
import Timer from "timer";

export const HOLD_MS = 3000;
/** How long after boot a press still counts. */
export const WINDOW_MS = 10_000;
const POLL_MS = 100;

export interface ButtonWatch {
  close(): void;
}

/**
 * Polls `pin` (pressed reads 0, with the internal pull-up) until a press has lasted
 * HOLD_MS (→ `onHeld`) or the window has passed with the button up.
 */
export function watchSetupButton(pin: number, uptime: () => number, onHeld: () => void, log: (line: string) => void): ButtonWatch {
  let io: InstanceType<typeof device.io.Digital>;
  try {
    io = new device.io.Digital({ pin, mode: device.io.Digital.InputPullUp });
  } catch (err) {
    log(`set-up button on GPIO ${pin} cannot be read: ${(err as Error).message}`);
    return { close() {} };
  }
  const start = uptime();
  let pressedSince: number | undefined;
  let timer: Timer | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (timer) Timer.clear(timer);
    timer = undefined;
    io.close();
  };
  const poll = () => {
    timer = undefined;
    const now = uptime();
    if (io.read() === 0) {
      pressedSince ??= now;
      if (now - pressedSince >= HOLD_MS) {
        close();
        onHeld();
        return;
      }
    } else {
      pressedSince = undefined;
      if (now - start >= WINDOW_MS) return close();
    }
    timer = Timer.set(poll, POLL_MS);
  };
  poll();
  return { close };
}
