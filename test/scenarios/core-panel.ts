// A hand-driven host for the alarm core, shared by the core scenarios (Node and XS) and the
// core unit tests. Plain ECMAScript, firmware imports only: it runs inside xsnap.
//
// Time moves only when a test says so; `wait` ticks the core at every deadline on the way,
// as a real host's timer would.
import { initialState, nextDeadline, persisted, restore, snapshot, step, type Effect, type Input, type State } from '../../src/core/machine';
import { makeUser, validateSettings, type Settings } from '../../src/core/settings';
import type { PanelEvent } from '../../src/core/events';

export const codes = { master: '1234', masterDuress: '9999', user: '2580', armOnly: '1111' } as const;

/** Eight zones of a small house, three users; `patch` replaces top-level settings. */
export function house(patch: Record<string, unknown> = {}): Settings {
  const result = validateSettings({
    zones: [
      { number: 1, name: 'Front door', type: 'delayed', chime: true },
      { number: 2, name: 'Back door', type: 'delayed' },
      { number: 3, name: 'Hall PIR', type: 'follower' },
      { number: 4, name: 'Living PIR', type: 'follower', modes: ['armed_away', 'armed_night'] },
      { number: 5, name: 'Kitchen window', type: 'instant', chime: true },
      { number: 6, name: 'Bedroom window', type: 'instant', modes: ['armed_away', 'armed_home'] },
      { number: 7, name: 'Enclosure', type: '24h' },
      { number: 8, name: 'Panic', type: 'panic' },
    ],
    users: [
      makeUser({ number: 1, name: 'Owner', role: 'master', code: codes.master, salt: '0a1b2c3d4e5f6071', duressCode: codes.masterDuress }),
      makeUser({ number: 2, name: 'Family', role: 'user', code: codes.user, salt: '1122334455667788' }),
      makeUser({ number: 3, name: 'Cleaner', role: 'arm-only', code: codes.armOnly, salt: 'a0b0c0d0e0f00010' }),
    ],
    timers: { armed_away: { exitDelay: 30, entryDelay: 30 }, armed_home: { exitDelay: 10, entryDelay: 15 }, armed_night: { exitDelay: 0, entryDelay: 0 } },
    ...patch,
  });
  if (!result.ok) throw new Error(`test settings: ${result.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  return result.settings;
}

/** One effect as a short line: `#3 130/1 z5`, `siren alarm`, `siren off`, `refused zones_open [1]`. */
export function describe(e: Effect): string {
  switch (e.type) {
    case 'event': {
      const v = e.event;
      return `#${v.seq} ${v.code}/${v.q}${v.zone !== undefined ? ` z${v.zone}` : ''}${v.user !== undefined ? ` u${v.user}` : ''}`;
    }
    case 'siren': return e.on ? `siren ${e.pattern}` : 'siren off';
    case 'result': return e.ok ? 'ok' : `refused ${e.reason}${e.zones ? ` [${e.zones.join(',')}]` : ''}`;
    case 'state_changed': return 'changed';
  }
}

export class Panel {
  /** Uptime now, ms. */
  t = 0;
  state: State;
  /** Every effect so far, with the uptime of its step. */
  history: Array<{ t: number; effect: Effect }> = [];
  /** Effects of the last `send` or `wait`. */
  last: Effect[] = [];

  constructor(public settings: Settings = house(), state?: State, public boot = 1) {
    this.state = state ?? initialState(settings, boot);
    this.send({ type: 'boot' });
  }

  private run(input: Input): Effect[] {
    const { state, effects } = step(this.settings, this.state, input, { uptime: this.t });
    this.state = state;
    for (const effect of effects) this.history.push({ t: this.t, effect });
    return effects;
  }

  send(input: Input): Effect[] {
    this.last = this.run(input);
    return this.last;
  }

  /** Lets `seconds` pass, ticking at each deadline on the way. */
  wait(seconds: number): Effect[] {
    const end = this.t + Math.round(seconds * 1000);
    const out: Effect[] = [];
    for (let due = nextDeadline(this.state); due !== undefined && due <= end; due = nextDeadline(this.state)) {
      this.t = Math.max(this.t, due);
      out.push(...this.run({ type: 'tick' }));
    }
    this.t = end;
    this.last = out;
    return out;
  }

  keypad(action: Extract<Input, { type: 'keypad' }>['action'], code: string, extra: { zone?: number; force?: boolean } = {}): Effect[] {
    return this.send({ type: 'keypad', action, code, ...extra });
  }
  open(zone: number): Effect[] { return this.send({ type: 'zone', zone, open: true }); }
  close(zone: number): Effect[] { return this.send({ type: 'zone', zone, open: false }); }

  /** The last result effect of the last call. */
  result(): string {
    const r = this.last.filter((e) => e.type === 'result').map(describe);
    return r.length ? r[r.length - 1] : 'no result';
  }
  /** The last call's events and siren effects, as short lines. */
  said(): string[] {
    return this.last.filter((e) => e.type === 'event' || e.type === 'siren').map(describe);
  }
  events(): PanelEvent[] {
    return this.history.flatMap(({ effect }) => (effect.type === 'event' ? [effect.event] : []));
  }
  get mode(): string { return this.state.mode; }
  snap() { return snapshot(this.settings, this.state, { uptime: this.t }); }

  /** A power cut now: the saved state comes back in a new boot, at uptime 0. */
  powerCycle(): Panel {
    const saved = JSON.parse(JSON.stringify(persisted(this.state)));
    return new Panel(this.settings, restore(this.settings, saved, this.boot + 1), this.boot + 1);
  }
}

/** Logs what the last call said (events with seq/code/q/zone/user, siren effects, the result) into a scenario transcript. */
export function note(t: { log(label: string, value: unknown): void }, p: Panel, what: string): void {
  const result = p.last.some((e) => e.type === 'result') ? [p.result()] : [];
  t.log(`${p.t / 1000}s ${what}`, [...p.said(), ...result]);
}
