// Moddable entry of the ESP32 panel.
//
// Boot order, each step before the next:
//  1. the siren output, held off: before anything else, so a reset (brown-out, watchdog)
//     never leaves it floating or sounding;
//  2. flash (littlefs), the radio (its MAC names the panel; with it on, the hardware RNG is
//     truly random), the config — made up on the first boot, its codes printed once;
//  3. the panel, driven by one Timer;
//  4. the network: set-up mode (access point, captive DNS) when there is no Wi-Fi to join,
//     no usable config, or the set-up button is held; otherwise the owner's Wi-Fi, with SNTP.
//     The portal is served on port 80 in both.
//
// Nothing here may end in an uncaught exception: on the ESP32 that is a reset, and a
// reset at boot is a boot loop with no alarm at all. A config that cannot be used leaves
// the siren held off and the panel in set-up mode, saying why on the serial console.
import config from "mc/config";
import Preference from "preference";
import { saveConfig, type Host, type Panel } from "../../src/app";
import { boot } from "../../src/boot";
import type { PanelConfig } from "../../src/config";
import { StateStore } from "../../src/store/state";
import type { Storage } from "../../src/store/storage";
import { board } from "../../drivers/boards/current";
import { buildSettings } from "./settings";
import { SirenHold, esp32Pins } from "./pins";
import { ModdableClock } from "../moddable/clock";
import { FlashStorage } from "../moddable/flash-storage";
import { hardwareRandomBytes } from "./random";
import { checkFlash, openApPassword, panelIdFromMac, setupSsid, type FlashCheck, type Witness } from "./first-boot";
import { moddableConnect } from "../moddable/transport";
import { ServiceLoop } from "../moddable/service";
import { AccessPoint, StationLink, TimeSync, radioOn } from "./network";
import { watchSetupButton } from "./setup-button";
import { servePortal } from "./http";
import { createPortal, type PortalContext } from "./portal";

const serial = (line: string): void => trace(`${line}\n`);
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// 1. The siren, off.
const { settings, problems: buildProblems } = buildSettings(config, board);
const siren = new SirenHold();
try {
  siren.hold({ siren: { pin: settings.sirenPin, activeLow: settings.sirenActiveLow } });
} catch (err) {
  serial(`siren: cannot hold GPIO ${settings.sirenPin} off: ${message(err)}`);
}
for (const p of buildProblems) serial(`build config: ${p}`);

// 2. Flash, radio, config.
const clock = new ModdableClock();
const storage = new FlashStorage(settings.root);
let mac: string | undefined;
try {
  mac = radioOn();
} catch (err) {
  serial(`Wi-Fi: the radio did not start: ${message(err)}`);
}
const macId = panelIdFromMac(mac, hardwareRandomBytes);
/** Storage for nothing: when the flash fails, a set-up password is still made (and printed), just not kept. */
const memoryless: Storage = { read: () => new Uint8Array(0), append() {}, replace() {}, remove() {}, size: () => 0 };

// A flash that littlefs formatted under us (a mount error) must be said, never lived with in silence.
const nvs: Witness = {
  read: () => { const v = Preference.get("alarm", "flash-id"); return typeof v === "string" ? v : undefined; },
  write: (id) => Preference.set("alarm", "flash-id", id),
};
let flashCheck: FlashCheck = "same";
try {
  flashCheck = checkFlash(storage, nvs, hardwareRandomBytes, serial);
} catch (err) {
  serial(`flash: cannot check whether it was wiped: ${message(err)}`);
}

// 3. The panel, driven by one Timer: boot (src/boot.ts) reads the config, or makes a new
// panel's and prints its codes once; the set-up password follows (printed once too); then the
// config's siren pin is held off until the siren driver takes it over.
const loop = new ServiceLoop(() => clock.uptime(), serial);
const host: Host = {
  clock,
  storage,
  pins: siren.pins(esp32Pins()),
  connect: moddableConnect,
  random: () => Math.random(),
  randomBytes: hardwareRandomBytes,
  log: serial,
  wake: (at?: number) => loop.wake(at),
};

let apSsid = "";
let apPassword = "";
function openAccessPoint(panelId: string, firstBoot: boolean): void {
  apSsid = setupSsid(panelId); // at most 32 bytes: a long id keeps its last 26 characters
  try {
    apPassword = openApPassword(storage, apSsid, settings.apPassword, hardwareRandomBytes, serial);
  } catch (err) {
    apPassword = openApPassword(memoryless, apSsid, settings.apPassword, hardwareRandomBytes, serial);
    serial(`flash: the set-up password cannot be kept (${message(err)}): this one holds until the next restart`);
  }
  if (firstBoot && settings.apPassword !== undefined) {
    serial(`  set-up Wi-Fi "${apSsid}": its password was set at build time (config.apPassword)`);
  }
}

const booted = boot(host, board, {
  newPanelId: () => macId,
  onFirstBoot: (first) => {
    serial(`first boot of panel ${first.config.panel.id}: write these down, they are shown only this once`);
    serial(`  installer code (portal login): ${first.installerCode}`);
    serial(`  master code (user 1, arms and disarms): ${first.masterCode}`);
  },
  prepare: (config, firstBoot) => {
    openAccessPoint(config.panel.id, firstBoot !== undefined);
    const wired = config.pins.siren;
    if (wired.pin === settings.sirenPin && (wired.activeLow === true) !== settings.sirenActiveLow) {
      serial(`siren: GPIO ${wired.pin} is active-${wired.activeLow ? "low" : "high"} in the config but the build holds it active-${settings.sirenActiveLow ? "low" : "high"} at power-on: set config.sirenActiveLow to ${wired.activeLow === true} in manifest.json, or it sounds for an instant at every boot`);
    }
    siren.hold(config.pins); // the config's siren pin, which the siren driver takes over
  },
});
const panelId = booted.config ? booted.config.panel.id : macId;
if (apSsid === "") openAccessPoint(panelId, false); // no usable config: the set-up network still needs its password

const panel: Panel | undefined = booted.panel;
const problems: string[] = booted.ok ? [] : booted.problems;
if (booted.ok) {
  try {
    if (flashCheck === "wiped") booted.panel.configReplaced();
    loop.start(booted.panel);
  } catch (err) {
    problems.push(message(err));
  }
} else if (booted.config) {
  try {
    siren.hold(booted.config.pins); // again, if the drivers took the pin and closed it
  } catch { /* it stays on its gate pull-down */ }
}
if (panel) {
  serial(`alarm panel ${panelId}: protecting (boot ${panel.boot})`);
} else {
  serial(`alarm panel ${panelId}: NOT PROTECTING: its config cannot be used`);
  for (const p of problems) serial(`  ${p}`);
  serial(`  siren held off${siren.pin === undefined ? " by its gate pull-down" : ` on GPIO ${siren.pin}`}; fix the config in set-up mode`);
}

// 4. The network and the portal.
let mode: "setup" | "normal" = "normal";
const context: PortalContext = {
  panel,
  get mode() { return mode; },
  problems,
  host,
  pinRules: (pins) => board.pinProblems(pins),
  saveConfig: (c: PanelConfig) => saveConfig(new StateStore(storage), c),
  restart: () => System.restart(),
};
try {
  servePortal(createPortal(context), { port: settings.httpPort, log: serial });
} catch (err) {
  serial(`portal: the HTTP server did not start: ${message(err)}`);
}

let station: StationLink | undefined;
const time = new TimeSync(settings.sntp, clock, serial);

function setupMode(why: string): void {
  if (mode === "setup") return;
  mode = "setup";
  serial(`set-up mode (${why}): join Wi-Fi "${apSsid}" with the set-up password`);
  try {
    station?.close();
    station = undefined;
    time.stop();
    new AccessPoint(apSsid, apPassword, serial);
  } catch (err) {
    serial(`set-up mode: the access point did not start: ${message(err)}`);
  }
}

const wifi = panel?.config().wifi;
if (!panel) setupMode("no usable config");
else if (!wifi?.ssid) setupMode("no Wi-Fi network configured");
else {
  station = new StationLink(wifi, serial, {
    onUp: () => { time.start(); loop.wake(); },
    onDown: () => time.stop(),
  });
  try {
    station.start();
  } catch (err) {
    serial(`Wi-Fi: ${message(err)}`);
  }
  watchSetupButton(settings.setupButtonPin, () => clock.uptime(), () => setupMode("set-up button held"), serial);
}
