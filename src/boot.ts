// One boot for every host: the config from flash (or a new panel's on the first boot), then
// the panel on it. What differs between hosts comes in as hooks: how a new panel is named,
// where its first codes are shown, what the host does with the config before the panel
// opens (hold the siren pin, follow a broker). The host's one timer then drives the panel
// (src/scheduler.ts); boot starts none.
import { Panel, loadConfig, saveConfig, type Host, type PanelOptions, type PinConfig } from './app';
import { firstBootConfig, validateConfig, type FirstBoot, type PanelConfig } from './config';
import { StateStore } from './store/state';

/**
 * What boot takes of a board (drivers/board.ts's `Board`, which the host hands in: src does
 * not choose the board).
 */
export interface BootBoard {
  readonly id: string;
  /** The pins a new panel starts with. */
  readonly defaultPins: PinConfig;
  /** Every pin of a well-formed config that the board cannot give it (strapping pins, flash pins). */
  pinProblems(config: PinConfig): string[];
}

export interface BootOptions {
  /**
   * A config to boot on instead of the one on flash (validated; nothing is saved): a test's
   * panel. Without it the config comes from flash.
   */
  config?: PanelConfig;
  /** Nothing on flash: the id of a new panel, whose config (codes and all) is made now. Absent: no config, no panel. */
  newPanelId?: () => string;
  /**
   * The first boot's codes, to be shown or kept: called before the new config is saved, so a
   * power cut between the two makes new codes at the next boot, never saved codes nobody saw.
   */
  onFirstBoot?: (first: FirstBoot) => void;
  /**
   * The usable config, just before the panel opens on it. A config returned instead is saved
   * and used (a simulator following its broker); a throw leaves the panel closed, reported.
   */
  prepare?: (config: PanelConfig, firstBoot: FirstBoot | undefined) => PanelConfig | void;
  panel?: PanelOptions;
}

/** The config a panel boots on, or why there is none. */
export type BootConfig =
  | { ok: true; config: PanelConfig; firstBoot?: FirstBoot; problems: string[] }
  | { ok: false; problems: string[] };

export type Booted =
  | { ok: true; panel: Panel; config: PanelConfig; firstBoot?: FirstBoot; problems: string[] }
  /** With `config`: it was usable, but the panel did not open on it (`problems`, `error` say why). */
  | { ok: false; panel?: undefined; config?: PanelConfig; firstBoot?: FirstBoot; problems: string[]; error?: unknown };

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The config on flash, validated; on a first boot (nothing saved) and with `newPanelId`, a new
 * one. A saved config that cannot be read or fails validation is left as it is (the owner may
 * still import a good one in the portal) and reported; `problems` of a usable config are the
 * flash's repairs.
 */
export function bootConfig(host: Pick<Host, 'storage' | 'randomBytes'>, board: BootBoard, options: BootOptions = {}): BootConfig {
  if (options.config) return { ok: true, config: options.config, problems: [] };
  try {
    const { raw, problems } = loadConfig(host.storage);
    if (raw === undefined) {
      // Problems: a config was there but is unreadable. None: nothing was ever saved.
      if (problems.length > 0 || !options.newPanelId) return { ok: false, problems };
      const first = firstBootConfig(options.newPanelId(), (n) => host.randomBytes(n), board.defaultPins);
      options.onFirstBoot?.(first);
      saveConfig(new StateStore(host.storage), first.config);
      return { ok: true, config: first.config, firstBoot: first, problems };
    }
    const checked = validateConfig(raw);
    if (!checked.ok) return { ok: false, problems: [...problems, ...checked.errors.map((e) => `${e.field || 'config'}: ${e.message}`)] };
    return { ok: true, config: checked.config, problems };
  } catch (err) {
    return { ok: false, problems: [`flash: ${message(err)}`] }; // a boot never ends in an exception: on the ESP32 that is a reset
  }
}

/** Boots a panel on `host`: its config (see `bootConfig`), then the panel, its pins checked against `board`. */
export function boot(host: Host, board: BootBoard, options: BootOptions = {}): Booted {
  const found = bootConfig(host, board, options);
  if (!found.ok) return found;
  const { firstBoot, problems } = found;
  let config = found.config;
  try {
    const prepared = options.prepare?.(config, firstBoot);
    if (prepared && prepared !== config) {
      config = prepared;
      saveConfig(new StateStore(host.storage), config); // before the journal opens its own view of the state
    }
    const panel = Panel.open(host, config, { ...options.panel, pinRules: (pins) => board.pinProblems(pins) });
    return { ok: true, panel, config, firstBoot, problems };
  } catch (err) {
    return { ok: false, config, firstBoot, problems: [message(err)], error: err };
  }
}
