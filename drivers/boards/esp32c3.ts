// The ESP32-C3 (ESP32-C3-MINI-1 / -WROOM-02 modules, ESP32-C3-DevKitM-1).
//
// GPIO table after ESP-IDF's "GPIO & RTC GPIO" page for the ESP32-C3 (docs.espressif.com,
// esp-idf/…/esp32c3/api-reference/peripherals/gpio.html): 22 GPIOs, 0–21; strapping 2, 8, 9
// (9 low at reset = download mode: the DevKitM-1's BOOT button); 12–17 SPI0/1 (flash);
// 18 and 19 USB-JTAG. UART0 is 20 (RX) and 21 (TX) (ESP32-C3 datasheet, "Peripheral pin
// assignment"; RIOT periph_conf_common_esp32c3.h). GPIO 11 is VDD_SPI, the flash's supply,
// unless an eFuse makes it a GPIO (RIOT's ESP32-C3 notes: "not broken out").
import type { Board } from '../board';
import { defaultPinsOn } from '../config';
import { gpioRules, gpioRun } from '../gpio-rules';

export const esp32c3Rules = gpioRules({
  chip: 'ESP32-C3',
  count: 22,
  special: [
    [2, 'strapping', 'it must be high at reset for the chip to boot'],
    [8, 'strapping', 'it must be high at reset to flash the board (and drives the DevKit\'s RGB LED)'],
    [9, 'strapping', 'it selects the boot mode, low at reset means download mode'],
    [11, 'flash', 'it is VDD_SPI, the supply of the SPI flash'],
    [gpioRun(12, 17), 'flash', 'GPIO 12–17 are wired to the SPI flash'],
    [[18, 19], 'usb', 'GPIO 18 and 19 are the USB D− and D+ lines (USB-Serial-JTAG, used to flash and log)'],
    [20, 'uart', 'it is UART0 RX, the serial console used to flash and log'],
    [21, 'uart', 'it is UART0 TX, the serial console used to flash and log'],
  ],
});

export const board: Board = Object.freeze({
  id: 'esp32c3',
  title: 'ESP32-C3-MINI-1',
  // No strapping, flash, USB or UART pin; the siren on GPIO 10, which has no other duty at boot.
  defaultPins: defaultPinsOn({ door: 4, tamper: 5, motion: 6, siren: 10 }),
  setupButtonPin: 9, // the DevKitM-1's BOOT button
  gpioCount: 22,
  pinProblem: esp32c3Rules.pinProblem,
  pinProblems: esp32c3Rules.pinProblems,
});
