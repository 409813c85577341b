// The panels the benchmarks run: n zones on a simulated board, fixed codes, a broker URL.
// Plain ECMAScript (it is bundled into XS): everything here is deterministic.
import { validateConfig, type PanelConfig } from '../src/config';
import { hashCode } from '../src/core/settings';
import { defaultPinConfig } from '../drivers/config';
import { openLevel } from '../drivers/input';

export const MASTER_CODE = '1234';
/** 32 bytes 0x00…0x1f in base64url: the bench panels' uplink key when they authenticate. */
export const BENCH_UPLINK_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const USER_CODE = '2580';
const ARM_ONLY_CODE = '1111';

export interface BenchPanel {
  config: PanelConfig;
  /** A keypad code of the master user. */
  code: string;
  /** The GPIO of zone `zone`'s contact (the motion zone has a PIR pin). */
  pinOf(zone: number): number;
  /** The pin level that means "open" for the door contacts (NC to ground, pull-up). */
  openLevel: 0 | 1;
  /** The first instant door zone: opening it while armed is an alarm (130). */
  instantZone: number;
}

/**
 * n zones (n ≥ 5): 1 a delayed front door (with a tamper loop), 2 a follower PIR, then instant
 * doors, a panic button (n − 1) and a 24h tamper loop (n). Every zone has its own GPIO on the
 * simulated board, from 100 up (an ESP32 has too few for 32; expanders would carry them).
 */
export function benchPanel(
  n: number, options: { panelId?: string; brokerUrl?: string; exitDelay?: number; uplink?: 'keyed' | 'sealed' } = {},
): BenchPanel {
  if (!(n >= 5)) throw new RangeError('a bench panel has at least 5 zones');
  const pinOf = (zone: number) => 100 + zone;
  const zones = [];
  const doors = [];
  for (let z = 1; z <= n; z++) {
    const type = z === 1 ? 'delayed' : z === 2 ? 'follower' : z === n ? '24h' : z === n - 1 ? 'panic' : 'instant';
    zones.push({ number: z, name: `Zone ${z}`, type, chime: z === 1 });
    if (z === 2) continue;
    doors.push({ zone: z, pin: pinOf(z), wiring: 'NC', pull: 'up', debounceMs: 50, ...(z === 1 ? { tamperPin: 99 } : {}) });
  }
  const salts = ['0a1b2c3d4e5f6071', '1122334455667788', 'a0b0c0d0e0f00010'];
  const exitDelay = options.exitDelay ?? 30;
  const timers = { exitDelay, entryDelay: 30 };
  const raw = {
    v: 1,
    panel: { id: options.panelId ?? 'bench', name: 'Bench panel' },
    wifi: { ssid: '', password: '' },
    broker: { url: options.brokerUrl ?? '', prefix: 'alarm', version: 5, keepalive: 30 },
    alarm: {
      zones,
      timers: { armed_away: timers, armed_home: timers, armed_night: timers },
      users: [
        { number: 1, name: 'Owner', role: 'master', salt: salts[0], codeHash: hashCode(MASTER_CODE, salts[0]) },
        { number: 2, name: 'User', role: 'user', salt: salts[1], codeHash: hashCode(USER_CODE, salts[1]) },
        { number: 3, name: 'Cleaner', role: 'arm-only', salt: salts[2], codeHash: hashCode(ARM_ONLY_CODE, salts[2]) },
      ],
    },
    pins: { doors, motion: [{ ...defaultPinConfig.motion![0], zone: 2, pin: pinOf(2) }], siren: defaultPinConfig.siren },
    remote: {},
    installer: { salt: salts[0], codeHash: hashCode('987654', salts[0]) },
    homeAssistant: { enabled: false },
    // The uplink key (fixed: the bench is deterministic): everything published is authenticated, and sealed if asked.
    ...(options.uplink ? { uplink: BENCH_UPLINK_KEY } : {}),
    ...(options.uplink === 'sealed' ? { sealed: true } : {}),
  };
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(`bench config: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  return { config: checked.config, code: MASTER_CODE, pinOf, openLevel: openLevel({ wiring: 'NC', pull: 'up' }), instantZone: 3 };
}
