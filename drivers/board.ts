// What a board variant brings: its GPIO rules and the pins a new panel starts with. One file
// per board under drivers/boards/, chosen by the manifest platform on Moddable builds
// (`esp32`, `esp32/esp32s3`, `esp32/esp32c3`) and by `--board` in the simulator.
import type { PinConfig } from './config';

export interface Board {
  /** The board's short name, as the simulator's `--board` takes it: 'esp32', 'esp32s3', 'esp32c3'. */
  readonly id: string;
  /** What people call it, for messages: 'ESP32-WROOM-32'. */
  readonly title: string;
  /** The pins a panel starts with (README and wiring.svg for the ESP32). */
  readonly defaultPins: PinConfig;
  /** Every pin of a well-formed config that this board cannot give it, naming the config entry. */
  pinProblems(config: PinConfig): string[];
}
