// Which GPIOs of a chip may carry what, from a table per board (drivers/boards/*): one
// checker for every board, so the panel at boot, the Node host and the portal refuse the
// same pins with the same words. Host-independent.
import { eachInput, type PinConfig } from './config';
import type { Pull } from './input';

export type PinKind =
  | 'safe'        // free for inputs and outputs
  | 'boot-pwm'    // free, but outputs a PWM signal during boot: inputs only
  | 'input-only'  // no output driver, no internal pull-up or pull-down
  | 'strapping'   // read at reset to choose how the chip boots
  | 'uart'        // UART0, the serial console used to flash and log
  | 'usb'         // the USB D−/D+ lines (USB-Serial-JTAG: flashing and the console)
  | 'flash'       // wired to the module's SPI flash (or PSRAM)
  | 'absent';     // not on the chip, or not brought out on the module

export interface GpioPin {
  gpio: number;
  kind: PinKind;
  /** Why, in a few words; part of the error message. */
  why: string;
}

export type PinRole = { output: true } | { output?: false; pull: Pull };

/** A run of GPIOs with the same kind; `why` may name the GPIO (`the ESP32 has no GPIO 28`). */
export type GpioEntry = readonly [gpios: number | readonly number[], kind: PinKind, why: string | ((gpio: number) => string)];

export interface GpioSpec {
  /** The chip's name in messages: 'ESP32', 'ESP32-S3'. */
  chip: string;
  /** GPIO 0 … count − 1 exist by number (those the chip lacks are entries of kind 'absent'). */
  count: number;
  /** Every GPIO that is not 'safe'. */
  special: readonly GpioEntry[];
}

export interface GpioRules {
  /** GPIO 0 … count − 1, each with what it may carry. */
  readonly pins: readonly GpioPin[];
  /** GPIOs for a contact or PIR with the internal pull-up. */
  readonly safeInputs: readonly number[];
  /** GPIOs for the siren (and any other output that must stay quiet through a reset). */
  readonly safeOutputs: readonly number[];
  /** Why `gpio` cannot serve `role`, or undefined when it can. */
  pinProblem(gpio: number, role: PinRole): string | undefined;
  /** Every pin of a well-formed config that the board cannot give it, naming the config entry. */
  pinProblems(config: PinConfig): string[];
}

/** "4, 13, 16–19": a list of GPIOs with runs folded. */
export function gpioRanges(gpios: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < gpios.length; i++) {
    let j = i;
    while (j + 1 < gpios.length && gpios[j + 1] === gpios[j] + 1) j++;
    out.push(j - i >= 2 ? `${gpios[i]}–${gpios[j]}` : j > i ? `${gpios[i]}, ${gpios[j]}` : `${gpios[i]}`);
    i = j;
  }
  return out.join(', ');
}

/** `from`…`to` inclusive, for table entries. */
export const gpioRun = (from: number, to: number): readonly number[] => Object.freeze(Array.from({ length: to - from + 1 }, (_, i) => from + i));

/** The rules of one board, made once at load from its table (everything frozen: it lives in flash under preload). */
export function gpioRules(spec: GpioSpec): GpioRules {
  // The functions below close over these consts only, never over `spec` (xsl would find its table unfrozen).
  const chip = spec.chip;
  const count = spec.count;
  const byGpio: Array<GpioPin | undefined> = [];
  for (const [gpios, kind, why] of spec.special) {
    for (const gpio of typeof gpios === 'number' ? [gpios] : gpios) {
      if (!Number.isInteger(gpio) || gpio < 0 || gpio >= spec.count) throw new RangeError(`${spec.chip}: GPIO ${gpio} of its table is out of 0–${spec.count - 1}`);
      if (byGpio[gpio]) throw new RangeError(`${spec.chip}: GPIO ${gpio} is twice in its table`);
      byGpio[gpio] = Object.freeze({ gpio, kind, why: typeof why === 'string' ? why : why(gpio) });
    }
  }
  const pins: readonly GpioPin[] = Object.freeze(Array.from({ length: spec.count }, (_, gpio) => byGpio[gpio] ?? Object.freeze({ gpio, kind: 'safe' as PinKind, why: 'free' })));
  const list = (kinds: PinKind[]) => Object.freeze(pins.filter((p) => kinds.includes(p.kind)).map((p) => p.gpio));
  const safeInputs = list(['safe', 'boot-pwm']);
  const safeOutputs = list(['safe']);
  const inputs = `safe input GPIOs: ${gpioRanges(safeInputs)}`;
  const outputs = `safe output GPIOs: ${gpioRanges(safeOutputs)}`;

  function pinProblem(gpio: number, role: PinRole): string | undefined {
    const pin = pins[gpio];
    if (!Number.isInteger(gpio) || !pin) return `the ${chip} has GPIO 0–${count - 1} only, not ${gpio}`;
    const instead = role.output ? outputs : inputs;
    switch (pin.kind) {
      case 'safe': return undefined;
      case 'absent': return `${pin.why}. Use one of the ${instead}`;
      case 'flash':
      case 'usb':
      case 'uart': return `GPIO ${gpio} cannot be used: ${pin.why}. Use one of the ${instead}`;
      case 'strapping':
        return role.output
          ? `GPIO ${gpio} is a strapping pin: ${pin.why}. The siren stage would disturb the boot or sound during it; use one of the ${outputs}`
          : `GPIO ${gpio} is a strapping pin: ${pin.why}. Not for an input that must be stable at boot; use one of the ${inputs}`;
      case 'boot-pwm':
        return role.output ? `GPIO ${gpio} cannot drive the siren: ${pin.why}, so the siren would sound at every reset. Use one of the ${outputs}` : undefined;
      case 'input-only':
        if (role.output) return `GPIO ${gpio} is input-only: the siren needs an output pin. Use one of the ${outputs}`;
        if (role.pull !== 'none') {
          return `GPIO ${gpio} is input-only and has no internal pull-${role.pull}: fit an external pull-${role.pull} resistor (10 kΩ to ${role.pull === 'up' ? '3.3 V' : 'GND'}) and set pull "none", or use one of the ${inputs}`;
        }
        return undefined;
    }
  }

  function pinProblems(config: PinConfig): string[] {
    const problems: string[] = [];
    const check = (gpio: number, at: string, role: PinRole) => {
      const problem = pinProblem(gpio, role);
      if (problem) problems.push(`${at}: ${problem}`);
    };
    check(config.siren.pin, 'siren.pin', { output: true });
    eachInput(config, (z, _kind, at) => {
      const pull = z.pull ?? 'up';
      check(z.pin, `${at}.pin`, { pull });
      if (z.tamperPin !== undefined) check(z.tamperPin, `${at}.tamperPin`, { pull });
    });
    return problems;
  }

  return Object.freeze({ pins, safeInputs, safeOutputs, pinProblem, pinProblems });
}
