// The ESP32 (WROOM-32 / WROVER modules, DevKitC and "DevKit v1" boards).
import type { Board } from '../board';
import { defaultPinConfig } from '../config';
import { esp32PinProblems } from '../esp32-pins';

export const board: Board = Object.freeze({
  id: 'esp32',
  title: 'ESP32-WROOM-32',
  defaultPins: defaultPinConfig,
  pinProblems: esp32PinProblems,
});
