// The portal as the ESP32 host sees it: a factory that gets the panel (none when the
// config on flash is unusable) and returns the handler the HTTP server calls.
import type { Host, Panel } from "../../src/app";
import type { PanelConfig } from "../../src/config";
import type { PortalHandler } from "../../src/portal/http";
import { utf8 } from "../../src/text";
import { createPortal as portalFor } from "../../src/portal/portal";
import { panelNames } from "./names";

export interface PortalContext {
  /** The running panel; undefined when the config on flash cannot be used (see `problems`). */
  readonly panel: Panel | undefined;
  /** "setup": on the panel's own access point; "normal": on the owner's network. */
  readonly mode: "setup" | "normal";
  /** Why the panel is not running, one sentence each (empty when it runs). */
  readonly problems: readonly string[];
  readonly host: Host;
  /** Saves a whole, validated config for the next boot: the way out when there is no panel to reconfigure. */
  saveConfig(config: PanelConfig): void;
  /** Restarts the ESP32, e.g. to join a newly saved Wi-Fi network. */
  restart(): void;
}

export type PortalFactory = (context: PortalContext) => PortalHandler;

/** src/portal's handlers over the running panel; without one, a page that says why. */
export const createPortal: PortalFactory = (context) => {
  if (context.panel) return portalFor(context.panel, context.host, { pinRules: context.host.pinRules, names: panelNames });
  const text = ["This panel is NOT PROTECTING: its config cannot be used.", ...context.problems,
    "The portal needs a usable config; see the serial console and the README (Flashing an ESP32)."].join("\n");
  return () => ({ status: 503, headers: { "content-type": "text/plain; charset=utf-8" }, body: utf8(`${text}\n`) });
};
