// Which ESP32-WROOM-32 GPIOs may carry what. Host-independent so that the Node host and
// the portal can check a pin config with the same rules the panel applies at boot.
import { eachInput, type PinConfig } from './config';
import type { Pull } from './input';

export type Esp32PinKind =
  | 'safe'        // free for inputs and outputs
  | 'boot-pwm'    // free, but outputs a PWM signal during boot: inputs only
  | 'input-only'  // 34–39: no output driver, no internal pull-up or pull-down
  | 'strapping'   // read at reset to choose how the chip boots
  | 'uart'        // UART0, the serial console used to flash and log
  | 'flash'       // wired to the module's SPI flash
  | 'absent';     // not brought out on the WROOM module

export interface Esp32Pin {
  gpio: number;
  kind: Esp32PinKind;
  /** Why, in a few words; part of the error message. */
  why: string;
}

const special: Record<number, [Esp32PinKind, string]> = {
  0: ['strapping', 'it selects the boot mode, low at reset means download mode'],
  1: ['uart', 'it is UART0 TX, the serial console used to flash and log'],
  2: ['strapping', 'it must be low or floating at reset to flash the board'],
  3: ['uart', 'it is UART0 RX, the serial console used to flash and log'],
  5: ['strapping', 'it sets the SDIO timing at reset and outputs PWM during boot'],
  12: ['strapping', 'it sets the flash voltage at reset; pulled high it selects 1.8 V and the module does not boot'],
  14: ['boot-pwm', 'it outputs a PWM signal during boot'],
  15: ['strapping', 'it switches the boot log at reset and outputs PWM during boot'],
  20: ['absent', 'the ESP32 has no GPIO 20'],
  24: ['absent', 'the ESP32 has no GPIO 24'],
  37: ['absent', 'GPIO 37 is not brought out on the ESP32-WROOM module'],
  38: ['absent', 'GPIO 38 is not brought out on the ESP32-WROOM module'],
};
for (let g = 6; g <= 11; g++) special[g] = ['flash', 'GPIO 6–11 are wired to the SPI flash'];
for (let g = 28; g <= 31; g++) special[g] = ['absent', `the ESP32 has no GPIO ${g}`];
for (const g of [34, 35, 36, 39]) special[g] = ['input-only', 'GPIO 34–39 are input-only, with no internal pull-up or pull-down'];

/** GPIO 0–39 of the ESP32-WROOM-32, each with what it may carry. */
export const esp32Pins: readonly Esp32Pin[] = Object.freeze(Array.from({ length: 40 }, (_, gpio) => {
  const [kind, why] = special[gpio] ?? ['safe', 'free'];
  return Object.freeze({ gpio, kind, why });
}));

const list = (kinds: Esp32PinKind[]) => esp32Pins.filter((p) => kinds.includes(p.kind)).map((p) => p.gpio);
/** GPIOs for a contact or PIR with the internal pull-up. */
export const esp32SafeInputs = Object.freeze(list(['safe', 'boot-pwm']));
/** GPIOs for the siren (and any other output that must stay quiet through a reset). */
export const esp32SafeOutputs = Object.freeze(list(['safe']));

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

export type Esp32PinRole = { output: true } | { output?: false; pull: Pull };

/** Why `gpio` cannot serve `role` on an ESP32-WROOM, or undefined when it can. */
export function esp32PinProblem(gpio: number, role: Esp32PinRole): string | undefined {
  const pin = esp32Pins[gpio];
  if (!Number.isInteger(gpio) || !pin) return `the ESP32 has GPIO 0–39 only, not ${gpio}`;
  const inputs = `safe input GPIOs: ${gpioRanges(esp32SafeInputs)}`;
  const outputs = `safe output GPIOs: ${gpioRanges(esp32SafeOutputs)}`;
  const instead = role.output ? outputs : inputs;
  switch (pin.kind) {
    case 'safe': return undefined;
    case 'absent': return `${pin.why}. Use one of the ${instead}`;
    case 'flash':
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

/** Every pin of a well-formed config that the ESP32-WROOM cannot give it, naming the config entry. */
export function esp32PinProblems(config: PinConfig): string[] {
  const problems: string[] = [];
  const check = (gpio: number, at: string, role: Esp32PinRole) => {
    const problem = esp32PinProblem(gpio, role);
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
