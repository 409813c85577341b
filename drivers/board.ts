// What a board variant brings: its GPIO rules and the pins a new panel starts with. One file
// per board under drivers/boards/, chosen by the manifest platform on Moddable builds
// (`esp32`, `esp32/esp32s3`, `esp32/esp32c3` map the module `drivers/boards/current` to it) and by `--board`
// in the simulator. The rules themselves are one table-driven checker (drivers/gpio-rules).
import type { PinConfig } from './config';
import type { PinRole } from './gpio-rules';

export interface Board {
  /** The board's short name, as the simulator's `--board` takes it: 'esp32', 'esp32s3', 'esp32c3'. */
  readonly id: string;
  /** What people call it, for messages: 'ESP32-WROOM-32'. */
  readonly title: string;
  /** The pins a panel starts with (README's wiring table; wiring.svg for the ESP32). */
  readonly defaultPins: PinConfig;
  /** The DevKit's BOOT button, read after boot as the set-up button (manifest config.setupButtonPin overrides it). */
  readonly setupButtonPin: number;
  /** GPIO numbers run 0 … gpioCount − 1 (some of them may be absent on the chip). */
  readonly gpioCount: number;
  /** Why `gpio` cannot serve `role` on this board, or undefined when it can. */
  pinProblem(gpio: number, role: PinRole): string | undefined;
  /** Every pin of a well-formed config that this board cannot give it, naming the config entry. */
  pinProblems(config: PinConfig): string[];
}
