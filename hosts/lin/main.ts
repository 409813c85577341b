// Moddable `lin` entry: the same Panel the ESP32 runs, on Moddable's Linux simulator (mcsim),
// with the real XS runtime, preload and freeze, Moddable's `file`, sockets and Timer.
//
// What differs from the ESP32: the wall clock is the machine's; the pins are simulated (a SimBoard, driven over the control
// link, see control.ts), there is no Wi-Fi nor portal, and the config must already be on
// "flash": the files in the working directory mcsim runs in (manifest: file.root "./"),
// written beforehand with the same Storage format (hosts/node/file-storage.ts does).
// `sim-control` there holds the control link's port: the panel then powers on when told.
import config from "mc/config";
import type { Host } from "../../src/app";
import { boot } from "../../src/boot";
import { fromUtf8 } from "../../src/text";
import { digitalPins } from "../../drivers/pin";
import { WatchedBoard, anyPinBoard, simDevice } from "../xs/sim-digital";
import { ModdableClock } from "../moddable/clock";
import { FlashStorage } from "../moddable/flash-storage";
import { moddableConnect } from "../moddable/transport";
import { ServiceLoop } from "../moddable/service";
import { ControlLink } from "./control";

const serial = (line: string): void => trace(`${line}\n`);
const root = (config as { file?: { root?: string } }).file?.root ?? "./";

let control: ControlLink | undefined;
const board = new WatchedBoard();
board.onDrive = (pin, level) => control?.output(pin, level);
const clock = new ModdableClock();
// The simulator's wall time is its machine's (kept by NTP), where the ESP32 waits for SNTP.
clock.setWallTime(Math.floor(Date.now() / 1000));
const storage = new FlashStorage(root);
const loop = new ServiceLoop(() => clock.uptime(), serial);

/** Simulator randomness: XS's Math.random. Not a hardware RNG: the lin build is for tests, never for a real panel. */
const randomBytes = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * 256);
  return out;
};

const host: Host = {
  clock,
  storage,
  pins: digitalPins(simDevice(board).io.Digital),
  connect: moddableConnect,
  random: () => Math.random(),
  randomBytes,
  log: serial,
  wake: (at?: number) => loop.wake(at),
};

/** Opens the panel on the config found on flash (src/boot.ts; no first boot here), or says why it cannot. */
function powerOn(): void {
  const booted = boot(host, anyPinBoard); // lin has no strapping rules: any GPIO
  if (!booted.ok) {
    if (booted.config) {
      serial(`alarm panel (lin): NOT PROTECTING: ${(booted.error as Error)?.stack ?? booted.error}`);
      return;
    }
    serial(`alarm panel (lin): NOT PROTECTING: no usable config in ${root}`);
    for (const p of booted.problems) serial(`  ${p}`);
    return;
  }
  loop.start(booted.panel);
  control?.booted(booted.panel.boot);
  serial(`alarm panel ${booted.config.panel.id} (lin): protecting (boot ${booted.panel.boot})`);
}

// With a control link, the world is set first (doors closed or open as they are), then `power`.
const port = Number(fromUtf8(storage.read("sim-control")) || 0);
let powered = false;
if (port > 0) {
  control = new ControlLink(port, board, () => { if (!powered) { powered = true; powerOn(); } }, serial);
} else {
  powerOn();
}
