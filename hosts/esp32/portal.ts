// The portal as the ESP32 host sees it: a factory that gets the panel (none when the
// config on flash is unusable) and returns the handler the HTTP server calls.
import type { Host, Panel } from "../../src/app";
import type { PanelConfig } from "../../src/config";
import type { PortalHandler } from "../../src/portal/http";
import { loadConfig } from "../../src/app";
import { createPortal as portalFor } from "../../src/portal/portal";
import { createRepairPortal, readableInstaller } from "../../src/portal/repair";
import { panelNames, wifiMac } from "./names";
import { panelIdFromMac } from "./first-boot";
import { board } from "../../drivers/boards/current";

export interface PortalContext {
  /** The running panel; undefined when the config on flash cannot be used (see `problems`). */
  readonly panel: Panel | undefined;
  /** "setup": on the panel's own access point; "normal": on the owner's network. */
  readonly mode: "setup" | "normal";
  /** Why the panel is not running, one sentence each (empty when it runs). */
  readonly problems: readonly string[];
  readonly host: Host;
  /** The board's pin rules (drivers/board.ts `pinProblems`): the portal refuses a pin the board cannot give. */
  readonly pinRules: (pins: PanelConfig["pins"]) => string[];
  /** Saves a whole, validated config for the next boot: the way out when there is no panel to reconfigure. */
  saveConfig(config: PanelConfig): void;
  /** Restarts the ESP32, e.g. to join a newly saved Wi-Fi network. */
  restart(): void;
}

export type PortalFactory = (context: PortalContext) => PortalHandler;

/**
 * src/portal's handlers over the running panel; without one, the repair portal (set-up mode
 * that repairs): the installer logs in with the code of the config on flash, sees the
 * problems, and imports a fixed config or erases it all; the panel then restarts.
 */
export const createPortal: PortalFactory = (context) => {
  if (context.panel) return portalFor(context.panel, context.host, { pinRules: context.pinRules, names: panelNames });
  const host = context.host;
  let raw: unknown;
  try {
    raw = loadConfig(host.storage).raw;
  } catch { /* flash unreadable: no installer code */ }
  const panelId = isObj(raw) && isObj(raw.panel) && typeof raw.panel.id === "string" && /^[A-Za-z0-9_-]{1,32}$/.test(raw.panel.id) ? raw.panel.id : undefined;
  return createRepairPortal({
    panelId: panelId ?? panelIdFromMac(wifiMac(), (n) => host.randomBytes(n)),
    problems: context.problems,
    installer: readableInstaller(raw),
    names: panelNames,
    pinRules: context.pinRules,
    defaultPins: board.defaultPins,
    randomBytes: (n) => host.randomBytes(n),
    uptime: () => host.clock.uptime(),
    log: (line) => host.log(line),
    save: (config) => context.saveConfig(config),
    restart: () => context.restart(),
  });
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
