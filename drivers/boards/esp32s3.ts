// The ESP32-S3 (ESP32-S3-WROOM-1/-2 modules, ESP32-S3-DevKitC-1).
//
// GPIO table after ESP-IDF's "GPIO & RTC GPIO" page for the ESP32-S3 (docs.espressif.com,
// esp-idf/…/esp32s3/api-reference/peripherals/gpio.html): 45 GPIOs, 0–21 and 26–48;
// strapping 0, 3, 45, 46; 19 and 20 USB-JTAG; 26–32 SPI0/1 (flash and PSRAM), and 33–37 too
// on modules with octal flash or PSRAM (the common N8R8/N16R8). UART0 is 43 (TX) and 44 (RX)
// (ESP32-S3 datasheet, "Peripheral pin assignment"; RIOT periph_conf_common_esp32s3.h).
// There is no GPIO 22–25: the ESP32's siren pin 25 does not exist here.
import type { Board } from '../board';
import { defaultPinsOn } from '../config';
import { gpioRules, gpioRun } from '../gpio-rules';

export const esp32s3Rules = gpioRules({
  chip: 'ESP32-S3',
  count: 49,
  special: [
    [0, 'strapping', 'it selects the boot mode, low at reset means download mode'],
    [3, 'strapping', 'it selects the JTAG interface at reset and floats during boot'],
    [[19, 20], 'usb', 'GPIO 19 and 20 are the USB D− and D+ lines (USB-Serial-JTAG, used to flash and log)'],
    [gpioRun(22, 25), 'absent', (g) => `the ESP32-S3 has no GPIO ${g}`],
    [gpioRun(26, 32), 'flash', 'GPIO 26–32 are wired to the SPI flash and PSRAM'],
    [gpioRun(33, 37), 'flash', 'GPIO 33–37 are wired to the octal flash or PSRAM on modules that have it (N8R8, N16R8)'],
    [43, 'uart', 'it is UART0 TX, the serial console used to flash and log'],
    [44, 'uart', 'it is UART0 RX, the serial console used to flash and log'],
    [45, 'strapping', 'it sets the flash voltage at reset; pulled high it selects 1.8 V and a 3.3 V flash does not boot'],
    [46, 'strapping', 'it must be low at reset to flash the board and switches the boot log'],
  ],
});

export const board: Board = Object.freeze({
  id: 'esp32s3',
  title: 'ESP32-S3-WROOM-1',
  // On the DevKitC-1's left header, next to each other; no strapping, USB, flash or LED pin (the RGB LED is 38 or 48).
  defaultPins: defaultPinsOn({ door: 4, tamper: 5, motion: 6, siren: 7 }),
  setupButtonPin: 0, // the DevKitC-1's BOOT button
  gpioCount: 49,
  pinProblem: esp32s3Rules.pinProblem,
  pinProblems: esp32s3Rules.pinProblems,
});
