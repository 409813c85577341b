// What goes into the core (inputs, with the time) and what comes out (effects).
import type { PanelEvent } from './events';

/** The time of a step: monotonic uptime of this boot, and wall time once it is known. */
export interface Now {
  /** Milliseconds since boot. */
  uptime: number;
  /** Unix seconds, when SNTP (or a user) has set the clock. */
  time?: number;
}

export type ArmAction = 'arm_away' | 'arm_home' | 'arm_night';
export type KeypadAction = ArmAction | 'disarm' | 'silence' | 'bypass' | 'unbypass';
export type RemoteAction = KeypadAction | 'test';

export type Input =
  /** A zone input changed (from the drivers; they also report the level once at boot). */
  | { type: 'zone'; zone: number; open: boolean }
  /** A zone's tamper or fault contact changed. */
  | { type: 'tamper'; zone: number; active: boolean }
  /**
   * A code typed on a keypad (panel keypad or portal). `zone` for bypass/unbypass; `force` to arm with open zones bypassed.
   * `user`: only that user's code is accepted (an entry point dedicated to one user, as Home Assistant's); any other
   * code, another user's included, is a wrong code and counts toward the lockout.
   */
  | { type: 'keypad'; action: KeypadAction; code: string; zone?: number; force?: boolean; user?: number }
  /** A command the uplink has already authenticated (COSE_Mac0) for `user`: no code, so no lockout; same permissions. */
  | { type: 'remote'; user: number; action: RemoteAction; zone?: number; force?: boolean }
  /** Time passed: hosts send it at or after `nextDeadline`. */
  | { type: 'tick' }
  /** The first step after initialState/restore (any first step performs it). */
  | { type: 'boot' }
  /** The outbox dropped events to make room (624). */
  | { type: 'outbox_overflow' }
  /** The uplink came up or went down (350, logged locally). */
  | { type: 'uplink'; up: boolean }
  /** Settings were changed (306); the new settings come with this and every later step. */
  | { type: 'config_changed'; user?: number }
  /** The periodic test report is due (602). */
  | { type: 'test_report' };

export type Reason =
  | 'bad_code'
  | 'locked_out'
  | 'not_permitted'
  | 'zones_open'
  | 'invalid_state'
  | 'unknown_zone'
  | 'unknown_user'
  | 'invalid_input';

export type Result = { type: 'result'; ok: true } | { type: 'result'; ok: false; reason: Reason; zones?: number[] };

/**
 * Siren patterns the siren driver plays. Each siren effect replaces what the siren is doing.
 * `alarm`, `exit_beep` and `entry_beep` last until the next siren effect; the chirps, `chime`
 * and `warning` (a local tamper warning while disarmed) play once and end by themselves.
 */
export type SirenPattern = 'alarm' | 'chirp_arm' | 'chirp_disarm' | 'chime' | 'exit_beep' | 'entry_beep' | 'warning';

export type Effect =
  | { type: 'event'; event: PanelEvent }
  | { type: 'siren'; on: true; pattern: SirenPattern }
  | { type: 'siren'; on: false }
  /** The snapshot and the persisted data changed: hosts save `persisted(state)` and publish the snapshot. */
  | { type: 'state_changed' }
  | Result;

export interface StepResult<S> {
  state: S;
  effects: Effect[];
}
