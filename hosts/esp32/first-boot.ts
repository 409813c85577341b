// The panel's identity and config on flash: made up at the first boot, read at every other.
//
// Secrets made at the first boot (the installer and master codes, the set-up access
// point's password) are printed on the serial console before they are saved: a power cut
// between the two makes the next boot print new ones, never leaves saved codes nobody saw.
import { firstBootConfig, validateConfig, type PanelConfig } from "../../src/config";
import { loadConfig, saveConfig } from "../../src/app";
import type { Storage } from "../../src/store/storage";
import { StateStore } from "../../src/store/state";
import { fromUtf8, toHex, utf8 } from "../../src/text";
import { makeApPassword } from "./random";

type RandomBytes = (n: number) => Uint8Array;
type Print = (line: string) => void;


/** The last three bytes of the Wi-Fi MAC ("A4:D1:8C:DB:C0:20" → "dbc020"), or random ones if there is no MAC. */
export function panelIdFromMac(mac: string | undefined, randomBytes: RandomBytes): string {
  const m = mac === undefined ? null : /^(?:[0-9A-Fa-f]{2}:){3}([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})$/.exec(mac);
  return m ? (m[1] + m[2] + m[3]).toLowerCase() : toHex(randomBytes(3));
}

export type ConfigOutcome =
  | { ok: true; config: PanelConfig; firstBoot: boolean }
  | { ok: false; problems: string[] };

/**
 * The config on flash, validated; on a first boot (nothing saved), a new one with its
 * codes printed once. A saved config that cannot be read or fails validation is left as it
 * is (the owner may still import a good one) and reported.
 */
export function openConfig(storage: Storage, panelId: string, randomBytes: RandomBytes, print: Print): ConfigOutcome {
  const { raw, problems } = loadConfig(storage);
  if (raw === undefined && problems.length === 0) {
    const first = firstBootConfig(panelId, randomBytes);
    print(`first boot of panel ${first.config.panel.id}: write these down, they are shown only this once`);
    print(`  installer code (portal login): ${first.installerCode}`);
    print(`  master code (user 1, arms and disarms): ${first.masterCode}`);
    saveConfig(new StateStore(storage), first.config);
    return { ok: true, config: first.config, firstBoot: true };
  }
  if (raw === undefined) return { ok: false, problems };
  const checked = validateConfig(raw);
  if (!checked.ok) return { ok: false, problems: [...problems, ...checked.errors.map((e) => `${e.field || "config"}: ${e.message}`)] };
  return { ok: true, config: checked.config, firstBoot: false };
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
