// The ESP32-WROOM-32's GPIO rules under their first names, for the code and tests that
// import them from here. The table is drivers/boards/esp32; the checker drivers/gpio-rules.
import { esp32Rules } from './boards/esp32';
import type { GpioPin, PinKind, PinRole } from './gpio-rules';

export { gpioRanges } from './gpio-rules';
export type Esp32PinKind = PinKind;
export type Esp32Pin = GpioPin;
export type Esp32PinRole = PinRole;

/** GPIO 0–39 of the ESP32-WROOM-32, each with what it may carry. */
export const esp32Pins = esp32Rules.pins;
/** GPIOs for a contact or PIR with the internal pull-up. */
export const esp32SafeInputs = esp32Rules.safeInputs;
/** GPIOs for the siren (and any other output that must stay quiet through a reset). */
export const esp32SafeOutputs = esp32Rules.safeOutputs;
/** Why `gpio` cannot serve `role` on an ESP32-WROOM, or undefined when it can. */
export const esp32PinProblem = esp32Rules.pinProblem;
/** Every pin of a well-formed config that the ESP32-WROOM cannot give it, naming the config entry. */
export const esp32PinProblems = esp32Rules.pinProblems;
