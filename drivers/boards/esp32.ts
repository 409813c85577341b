// The ESP32 (WROOM-32 / WROVER modules, DevKitC and "DevKit v1" boards).
//
// GPIO table after ESP-IDF's "GPIO & RTC GPIO" page for the ESP32 (docs.espressif.com,
// esp-idf/…/esp32/api-reference/peripherals/gpio.html): 34 GPIOs (0–19, 21–23, 25–27,
// 32–39); strapping 0, 2, 5, 12, 15; UART0 on 1 (TX) and 3 (RX); 6–11 the SPI flash;
// 34–39 input-only with no pull-up or pull-down. GPIO 14 outputs PWM during boot;
// 37 and 38 are not on the WROOM module's pads.
import type { Board } from '../board';
import { defaultPinConfig } from '../config';
import { gpioRules, gpioRun } from '../gpio-rules';

export const esp32Rules = gpioRules({
  chip: 'ESP32',
  count: 40,
  special: [
    [0, 'strapping', 'it selects the boot mode, low at reset means download mode'],
    [1, 'uart', 'it is UART0 TX, the serial console used to flash and log'],
    [2, 'strapping', 'it must be low or floating at reset to flash the board'],
    [3, 'uart', 'it is UART0 RX, the serial console used to flash and log'],
    [5, 'strapping', 'it sets the SDIO timing at reset and outputs PWM during boot'],
    [gpioRun(6, 11), 'flash', 'GPIO 6–11 are wired to the SPI flash'],
    [12, 'strapping', 'it sets the flash voltage at reset; pulled high it selects 1.8 V and the module does not boot'],
    [14, 'boot-pwm', 'it outputs a PWM signal during boot'],
    [15, 'strapping', 'it switches the boot log at reset and outputs PWM during boot'],
    [[20, 24, ...gpioRun(28, 31)], 'absent', (g) => `the ESP32 has no GPIO ${g}`],
    [[34, 35, 36, 39], 'input-only', 'GPIO 34–39 are input-only, with no internal pull-up or pull-down'],
    [[37, 38], 'absent', (g) => `GPIO ${g} is not brought out on the ESP32-WROOM module`],
  ],
});

export const board: Board = Object.freeze({
  id: 'esp32',
  title: 'ESP32-WROOM-32',
  defaultPins: defaultPinConfig,
  setupButtonPin: 0, // the DevKit's BOOT button
  gpioCount: 40,
  pinProblem: esp32Rules.pinProblem,
  pinProblems: esp32Rules.pinProblems,
});
