// What the build fixes (manifest.json "config", read through mc/config), checked once.
//
// A bad value is reported and replaced by its default: a typo in the manifest must not
// keep the panel from protecting. The defaults and the GPIO range are the board's
// (drivers/boards/current: the platform's board file).
import type { Board } from "../../drivers/board";
import { board as buildBoard } from "../../drivers/boards/current";

export interface BuildSettings {
  /** The littlefs root, with its trailing slash. */
  root: string;
  /** The siren GPIO held off at the first instant of boot, before any config is read. */
  sirenPin: number;
  /** The siren on `sirenPin` sounds when low: it is held high (off) from the first instant. */
  sirenActiveLow: boolean;
  /** The set-up access point's password when fixed at build time (8–63 printable ASCII). */
  apPassword: string | undefined;
  /** The set-up button: held low for 3 s at start-up, it starts set-up mode. By default the DevKit's BOOT button (board.setupButtonPin). */
  setupButtonPin: number;
  /** SNTP servers, tried in order. */
  sntp: readonly string[];
  httpPort: number;
}

export const DEFAULT_SNTP = Object.freeze(["pool.ntp.org", "time.cloudflare.com"]);

const printableAscii = (text: string): boolean => /^[\x20-\x7e]{8,63}$/.test(text);
const hostName = (text: string): boolean => /^[A-Za-z0-9.-]{1,253}$/.test(text);
export function buildSettings(raw: Record<string, unknown> & { file?: { root?: unknown } }, board: Pick<Board, "defaultPins" | "setupButtonPin" | "gpioCount"> = buildBoard): { settings: BuildSettings; problems: string[] } {
  const problems: string[] = [];
  const gpios = `0–${board.gpioCount - 1}`;
  const isGpio = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < board.gpioCount;
  const root = typeof raw.file?.root === "string" ? raw.file.root : "/littlefs/";

  let sirenPin = board.defaultPins.siren.pin;
  if (raw.sirenPin !== undefined) {
    if (isGpio(raw.sirenPin)) sirenPin = raw.sirenPin;
    else problems.push(`config.sirenPin ${JSON.stringify(raw.sirenPin)} is not a GPIO (${gpios}); using GPIO ${sirenPin}`);
  }

  let sirenActiveLow = false;
  if (raw.sirenActiveLow !== undefined) {
    if (typeof raw.sirenActiveLow === "boolean") sirenActiveLow = raw.sirenActiveLow;
    else problems.push("config.sirenActiveLow must be true or false; holding the siren pin low (active-high siren)");
  }

  let apPassword: string | undefined;
  if (raw.apPassword !== undefined && raw.apPassword !== "") {
    if (typeof raw.apPassword === "string" && printableAscii(raw.apPassword)) apPassword = raw.apPassword;
    else problems.push("config.apPassword must be 8–63 printable ASCII characters; a generated password is used instead");
  }

  let setupButtonPin = board.setupButtonPin;
  if (raw.setupButtonPin !== undefined) {
    if (isGpio(raw.setupButtonPin)) setupButtonPin = raw.setupButtonPin;
    else problems.push(`config.setupButtonPin ${JSON.stringify(raw.setupButtonPin)} is not a GPIO (${gpios}); using GPIO ${setupButtonPin}`);
  }

  let sntp: readonly string[] = DEFAULT_SNTP;
  if (raw.sntp !== undefined) {
    const list = typeof raw.sntp === "string" ? raw.sntp.split(",").map((s) => s.trim()) : raw.sntp;
    if (Array.isArray(list) && list.length > 0 && list.every((h) => typeof h === "string" && hostName(h))) sntp = list as string[];
    else problems.push("config.sntp must be a host name or a list of them; using the defaults");
  }

  let httpPort = 80;
  if (raw.httpPort !== undefined) {
    const p = raw.httpPort;
    if (typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535) httpPort = p;
    else problems.push(`config.httpPort ${JSON.stringify(p)} is not a port; using 80`);
  }

  return { settings: { root, sirenPin, sirenActiveLow, apPassword, setupButtonPin, sntp, httpPort }, problems };
}
