// The panel's drivers on the ESP32's own GPIOs (device.io.Digital, ECMA-419).
//
// A pin config is checked twice before any pin is touched: as a config
// (pinConfigProblems) and against the board's GPIO table (no flash, strapping, USB or
// UART pins; input-only pins only with an external pull-up; the siren never on an
// input-only or boot-PWM pin). The board is the build's: drivers/boards/current.
import device from "embedded:provider/builtin";
import type { Clock } from "../../src/core/clock";
import { digitalPins, type DigitalLike, type PinFactory } from "../../drivers/pin";
import { openDrivers, type DriverEvents, type Drivers } from "../../drivers/config";
import { board } from "../../drivers/boards/current";

export { defaultPinConfig, PinConfigError, type PinConfig } from "../../drivers/config";

/** Pins on the ESP32's GPIOs. */
export function esp32Pins(): PinFactory {
  return digitalPins(device.io.Digital);
}

/** Opens every driver of `config`, the siren first; throws a PinConfigError, opening nothing, when it is bad. */
export function openBoardDrivers(config: unknown, clock: Pick<Clock, "uptime">, events: DriverEvents): Drivers {
  return openDrivers(esp32Pins(), clock, config, events, board.pinProblems);
}

/** The siren pin of a config, if it names one the board can drive (a flash or input-only pin is never touched). */
function sirenOf(config: unknown): { pin: number; off: 0 | 1 } | undefined {
  const siren = (config as { siren?: { pin?: unknown; activeLow?: unknown } } | undefined)?.siren;
  const pin = siren?.pin;
  if (typeof pin !== "number" || board.pinProblem(pin, { output: true })) return undefined;
  return { pin, off: siren?.activeLow === true ? 1 : 0 };
}

/**
 * The siren output, held off from the first instant of boot until the siren driver takes it.
 *
 * The held pin stays open and is handed over as it is (see `pins`): closing it would reset
 * the GPIO (ESP-IDF's gpio_reset_pin turns the internal pull-up on) for the moment before
 * the driver opens it again.
 */
export class SirenHold {
  private held: { pin: number; io: DigitalLike } | undefined;

  /**
   * Holds the siren pin of `config` off, letting go of a different pin held before (a new
   * config may wire a door to it). Returns the GPIO held, if any.
   */
  hold(config: unknown): number | undefined {
    const siren = sirenOf(config);
    if (this.held && this.held.pin !== siren?.pin) this.release();
    if (!siren) return undefined;
    if (!this.held) {
      // initialValue: the pin is off from the instant it becomes an output (for an active-low
      // siren the ESP32 would otherwise drive it low, sounding, until the write below).
      // (@moddable/typings 5.6 lacks `initialValue`; the SDK's digital.js passes it on.)
      const options = { pin: siren.pin, mode: device.io.Digital.Output, initialValue: siren.off };
      const io = new device.io.Digital(options as ConstructorParameters<typeof device.io.Digital>[0]);
      this.held = { pin: siren.pin, io };
    }
    this.held.io.write(siren.off);
    return siren.pin;
  }

  /** The GPIO held off now, if any. */
  get pin(): number | undefined {
    return this.held?.pin;
  }

  /** Closes the held pin (nothing holds the siren off but its gate pull-down after this). */
  release(): void {
    const held = this.held;
    this.held = undefined;
    held?.io.close();
  }

  /** A pin factory that hands the held output to whoever opens that pin as an output (the siren driver). */
  pins(base: PinFactory): PinFactory {
    return (options) => {
      const held = this.held;
      if (held && options.pin === held.pin && options.mode === "output") {
        this.held = undefined;
        return held.io;
      }
      return base(options);
    };
  }
}

/**
 * For a config that did not open: drives its siren pin off anyway, if that pin is a usable
 * output (a flash or input-only pin is not touched; the gate pull-down holds the siren off
 * then). Returns the GPIO it holds, if any.
 */
export function holdSirenOff(config: unknown): number | undefined {
  return new SirenHold().hold(config);
}
