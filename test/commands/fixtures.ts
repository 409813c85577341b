// A panel's view of its remote users, as the command tests need it: keys, counters, a clock.
import { createHash } from 'node:crypto';
import { authenticateCommand, type AuthOptions, type AuthResult, type Command } from '../../src/uplink/commands.ts';

/** A fixed 256-bit key per user, so that failures reproduce. */
export const keyOf = (user: number): Uint8Array => new Uint8Array(createHash('sha256').update(`test key ${user}`).digest());

/** Users 1, 2 and 7 hold keys; everyone else has none. */
export const usersWithKeys = [1, 2, 7];

/** The panel's time in most tests (Unix seconds). */
export const NOW = 1_767_225_600;

export const arm = (over: Partial<Command> = {}): Command => ({
  id: 41, action: 'arm_away', args: { force: false }, counter: 5, time: NOW, ...over,
});

/**
 * The counter store of a panel, used as the documented contract says: `handle` persists the
 * counter only for an accepted command. `snapshot` shows whether anything moved.
 */
export class Panel {
  readonly counters = new Map<number, number>();
  now: number | undefined;
  readonly keyCalls: number[] = [];
  /** The panel's current nonce (what `nonceFresh` takes). */
  nonce = new Uint8Array(8).fill(0x5a);

  /** `{ now: undefined }` is a panel whose clock is not set. */
  constructor(opts: { now?: number; counters?: Array<[number, number]> } = {}) {
    this.now = 'now' in opts ? opts.now : NOW;
    for (const [user, counter] of opts.counters ?? [[1, 4], [2, 10], [7, 0]]) this.counters.set(user, counter);
  }

  get options(): AuthOptions {
    return {
      keyFor: (user) => {
        this.keyCalls.push(user);
        return usersWithKeys.includes(user) ? keyOf(user) : undefined;
      },
      lastCounter: (user) => this.counters.get(user) ?? 0,
      now: this.now,
      nonceFresh: (nonce) => nonce.length === this.nonce.length && nonce.every((b, i) => b === this.nonce[i]),
    };
  }

  /** What the panel's command handler does: authenticate, and persist the counter only on acceptance. */
  handle(bytes: Uint8Array): AuthResult {
    const result = authenticateCommand(bytes, this.options);
    if (result.ok) this.counters.set(result.user, result.counter);
    return result;
  }

  snapshot(): string {
    return JSON.stringify([...this.counters].sort((a, b) => a[0] - b[0]));
  }
}
