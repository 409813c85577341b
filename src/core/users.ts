// Users at the keypad and from the uplink: codes, duress, the wrong-code lockout, roles.
import { ContactId } from './events';
import { arm, bypass, disarm, silence } from './arming';
import { log, ok, refuse, type Draft } from './draft';
import type { Input, KeypadAction, RemoteAction } from './io';
import { hashCode, isValidCode, lockout, sameHash, type ArmedMode, type Role, type UserSettings } from './settings';

const armActions: Record<string, ArmedMode> = Object.freeze({ arm_away: 'armed_away', arm_home: 'armed_home', arm_night: 'armed_night' });
const keypadActions: readonly KeypadAction[] = Object.freeze(['arm_away', 'arm_home', 'arm_night', 'disarm', 'silence', 'bypass', 'unbypass']);
const remoteActions: readonly RemoteAction[] = Object.freeze([...keypadActions, 'test'] as RemoteAction[]);

/** What each role may do. Force-arming (bypassing open zones) is refused to arm-only users. */
export const permitted: Record<Role, readonly RemoteAction[]> = Object.freeze({
  master: remoteActions,
  user: remoteActions,
  'arm-only': Object.freeze(['arm_away', 'arm_home', 'arm_night'] as const),
});

/**
 * The user a code belongs to, and whether it is their duress code. Every user's hash is
 * computed and compared in full, so the time taken does not tell which user matched.
 */
export function matchCode(users: readonly UserSettings[], code: unknown): { user: UserSettings; duress: boolean } | undefined {
  if (!isValidCode(code)) return undefined;
  let found: { user: UserSettings; duress: boolean } | undefined;
  for (const user of users) {
    const hash = hashCode(code, user.salt);
    const isCode = sameHash(hash, user.codeHash);
    const isDuress = user.duressHash !== undefined && sameHash(hash, user.duressHash);
    if (!found && (isCode || isDuress)) found = { user, duress: !isCode };
  }
  return found;
}

/** A wrong code: every 10th in a row locks every code entry point (keypads, portal, HA) for 90 s (461). */
function wrongCode(d: Draft): void {
  d.s.wrongCodes += 1;
  if (d.s.wrongCodes % lockout.attempts !== 0) return refuse(d, 'bad_code');
  d.s.lockedUntil = d.at + lockout.seconds * 1000;
  log(d, ContactId.lockout, 1);
  refuse(d, 'locked_out');
}

/** The lock ran out (461 restore). The counter stays: ten more wrong codes lock again. */
export function unlock(d: Draft): void {
  d.s.lockedUntil = undefined;
  log(d, ContactId.lockout, 3);
}

function act(d: Draft, user: UserSettings, action: RemoteAction, input: { zone?: number; force?: boolean }): void {
  if (!permitted[user.role].includes(action)) return refuse(d, 'not_permitted');
  const mode = armActions[action];
  if (mode) return arm(d, user, mode, input.force === true);
  switch (action) {
    case 'disarm': return disarm(d, user);
    case 'silence': return silence(d);
    case 'bypass': return bypass(d, user, input.zone, true);
    case 'unbypass': return bypass(d, user, input.zone, false);
    case 'test':
      log(d, ContactId.testReport, 1, { user: user.number });
      return ok(d);
  }
}

export function keypad(d: Draft, input: Extract<Input, { type: 'keypad' }>): void {
  if (!keypadActions.includes(input.action)) return refuse(d, 'invalid_input');
  if (d.s.lockedUntil !== undefined) return refuse(d, 'locked_out');
  const users = input.user === undefined ? d.settings.users : d.settings.users.filter((u) => u.number === input.user);
  if (users.length === 0) return refuse(d, 'unknown_user');
  const match = matchCode(users, input.code);
  if (!match) return wrongCode(d);
  d.s.wrongCodes = 0;
  if (match.duress) log(d, ContactId.duress, 1, { user: match.user.number }); // silent: no siren, no sign
  act(d, match.user, input.action, input);
}

/**
 * A command the uplink authenticated with the user's key. It carries no code, so the wrong-code
 * lockout (which guards code entry points against guessing) does not apply: a stranger typing
 * wrong codes must not keep the owner from disarming from afar. The user's role still does.
 */
export function remote(d: Draft, input: Extract<Input, { type: 'remote' }>): void {
  if (!remoteActions.includes(input.action)) return refuse(d, 'invalid_input');
  const user = d.settings.users.find((u) => u.number === input.user);
  if (!user) return refuse(d, 'unknown_user');
  act(d, user, input.action, input);
}
