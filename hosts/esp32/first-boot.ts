// The panel's identity on flash: its id, its set-up password, and whether the flash was wiped.
// (The config itself: src/boot.ts, as on every host.)
//
// Secrets made at the first boot (the installer and master codes, the set-up access
// point's password) are printed on the serial console before they are saved: a power cut
// between the two makes the next boot print new ones, never leaves saved codes nobody saw.
import type { Storage } from "../../src/store/storage";
import { StateStore } from "../../src/store/state";
import { fromUtf8, toHex, utf8 } from "../../src/text";
import { makeApPassword } from "./random";
import { board } from "../../drivers/boards/current";

type RandomBytes = (n: number) => Uint8Array;
type Print = (line: string) => void;


/**
 * The last three bytes of the Wi-Fi MAC ("A4:D1:8C:DB:C0:20" → "dbc020"), or random ones if
 * there is no MAC. A MAC of all zeros or all ones is a failed read (eFuse or radio), not an
 * address: every such panel would share the id "000000" (and its topics), so it counts as none.
 */
export function panelIdFromMac(mac: string | undefined, randomBytes: RandomBytes): string {
  const m = mac === undefined ? null : /^(?:[0-9A-Fa-f]{2}:){3}([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})$/.exec(mac);
  const blank = m !== null && /^(0{2}:){5}0{2}$|^([fF]{2}:){5}[fF]{2}$/.test(mac!);
  return m && !blank ? (m[1] + m[2] + m[3]).toLowerCase() : toHex(randomBytes(3));
}

/** Wi-Fi SSIDs are at most 32 bytes. */
export const SSID_MAX = 32;
const SSID_PREFIX = "alarm-";

/**
 * The set-up access point's name: `alarm-<panel id>`. Panel ids are 1–32 ASCII characters, so
 * a long one does not fit: its last 26 characters are kept (the end of a name such as
 * "holiday-home-garage-2" is what tells panels apart), always the same for the same id.
 */
export function setupSsid(panelId: string): string {
  const room = SSID_MAX - SSID_PREFIX.length;
  return SSID_PREFIX + (panelId.length > room ? panelId.slice(panelId.length - room) : panelId);
}

const AP_PASSWORD = "ap-password";
const goodPassword = (text: string): boolean => /^[\x20-\x7e]{8,63}$/.test(text);

/**
 * The set-up access point's password: fixed at build time, or made at the first boot,
 * printed once and kept on flash.
 */
export function openApPassword(storage: Storage, ssid: string, buildTime: string | undefined, randomBytes: RandomBytes, print: Print): string {
  if (buildTime !== undefined) return buildTime;
  const store = new StateStore(storage);
  const { bytes, problems } = store.load(AP_PASSWORD);
  if (bytes) {
    try {
      const saved = fromUtf8(bytes);
      if (goodPassword(saved)) return saved;
    } catch { /* unreadable: made again below */ }
  }
  if (problems.length > 0 || bytes) print("the saved set-up password is unreadable: a new one is made");
  const password = makeApPassword(randomBytes);
  print(`  set-up Wi-Fi "${ssid}", password: ${password}`);
  store.save(AP_PASSWORD, utf8(password));
  return password;
}

/**
 * Where littlefs's reformat cannot reach: a key in the ESP32's NVS partition (Moddable's
 * `preference`), which only erasing the whole chip clears.
 */
export interface Witness {
  read(): string | undefined;
  write(id: string): void;
}

export type FlashCheck = "new" | "same" | "wiped";

/** The flash's own id, a file on littlefs; its twin is kept by the witness. */
const FLASH_ID = "flash-id";

/**
 * Did the flash lose everything since the last boot? Moddable's littlefs mounts the partition
 * at every file operation and, when a mount fails, formats it and carries on: no error, an
 * empty file system (modLittlefs.c, startLittlefs). Nothing on littlefs can tell a wiped flash
 * from a new one, so a random id is kept twice, as a file and in NVS: the NVS id without its
 * file means littlefs was formatted under the panel. (Checked at boot: a format while running
 * is found at the next one.) The file is written before NVS: a cut between the two is a new
 * flash again, never a false alarm; a panel from before this check, or with its NVS erased, has
 * neither or only the file, and is not flagged either.
 */
export function checkFlash(storage: Storage, witness: Witness, randomBytes: RandomBytes, print: Print): FlashCheck {
  let onFlash = "";
  try {
    onFlash = fromUtf8(storage.read(FLASH_ID));
  } catch { /* unreadable: as absent */ }
  const known = witness.read();
  if (onFlash !== "") {
    if (onFlash !== known) witness.write(onFlash);
    return "same";
  }
  const id = toHex(randomBytes(8));
  storage.replace(FLASH_ID, utf8(id));
  witness.write(id);
  if (known === undefined) return "new";
  print("FLASH WIPED: littlefs formatted its partition (a mount error): the config, event log, outbox and state are gone");
  print("  the panel starts as new, with new codes; set it up again in the portal (a configuration change, 306, is logged)");
  return "wiped";
}
