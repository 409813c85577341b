// The panel's drivers on the ESP32's own GPIOs (device.io.Digital, ECMA-419).
//
// A pin config is checked twice before any pin is touched: as a config
// (pinConfigProblems) and against the ESP32-WROOM's GPIO table (no flash, strapping or
// UART pins; input-only pins only with an external pull-up; the siren never on an
// input-only or boot-PWM pin). See drivers/esp32-pins.
import device from "embedded:provider/builtin";
import type { Clock } from "../../src/core/clock";
import { digitalPins } from "../../drivers/pin";
import { openDrivers, type DriverEvents, type Drivers } from "../../drivers/config";
import { esp32PinProblem, esp32PinProblems } from "../../drivers/esp32-pins";

export { defaultPinConfig, PinConfigError, type PinConfig } from "../../drivers/config";

/** Opens every driver of `config`, the siren first; throws a PinConfigError, opening nothing, when it is bad. */
export function openBoardDrivers(config: unknown, clock: Pick<Clock, "uptime">, events: DriverEvents): Drivers {
  return openDrivers(digitalPins(device.io.Digital), clock, config, events, esp32PinProblems);
}

/**
 * For a config that did not open: drives its siren pin off anyway, if that pin is a
 * usable output (a flash or input-only pin is not touched; the gate pull-down holds the
 * siren off then). Returns the GPIO it holds, if any.
 */
export function holdSirenOff(config: unknown): number | undefined {
  const siren = (config as { siren?: { pin?: unknown; activeLow?: unknown } } | undefined)?.siren;
  const pin = siren?.pin;
  if (typeof pin !== "number" || esp32PinProblem(pin, { output: true })) return undefined;
  new device.io.Digital({ pin, mode: device.io.Digital.Output }).write(siren?.activeLow === true ? 1 : 0);
  return pin;
}
