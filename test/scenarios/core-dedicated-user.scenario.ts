// The alarm core: a code entry point dedicated to one user (Home Assistant's). Only that user's
// code opens it; any other code, another user's included, is a wrong code. Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { Panel, codes, note } from './core-panel';

export default defineScenarios('core dedicated user', {
  "the dedicated user's code works, with that user's role": (t) => {
    const p = new Panel();
    p.send({ type: 'keypad', action: 'arm_away', code: codes.user, user: 2 });
    note(t, p, "user 2's entry point, user 2's code");
    t.is(p.result(), 'ok', 'accepted');
    t.is(p.mode, 'arming', 'arming');
    p.send({ type: 'keypad', action: 'disarm', code: codes.user, user: 2 });
    t.is(p.mode, 'disarmed', 'and disarms');
    p.send({ type: 'keypad', action: 'arm_home', code: codes.armOnly, user: 3 });
    t.is(p.result(), 'ok', 'the arm-only user arms through its entry point');
    p.send({ type: 'keypad', action: 'disarm', code: codes.armOnly, user: 3 });
    t.is(p.result(), 'refused not_permitted', 'but may not disarm: the role applies');
  },
  "another user's code is refused there, and counts toward the lockout": (t) => {
    const p = new Panel();
    p.send({ type: 'keypad', action: 'arm_away', code: codes.master, user: 2 });
    note(t, p, "the master's code at user 2's entry point");
    t.is(p.result(), 'refused bad_code', 'refused as a wrong code');
    t.is(p.mode, 'disarmed', 'nothing changed');
    p.send({ type: 'keypad', action: 'disarm', code: codes.masterDuress, user: 2 });
    t.is(p.result(), 'refused bad_code', "another user's duress code neither");
    t.is(p.events().some((e) => e.code === 121), false, 'and sends no duress');
    for (let i = 3; i <= 9; i++) p.send({ type: 'keypad', action: 'arm_away', code: '0000', user: 2 });
    t.is(p.snap().lockout, 0, 'nine wrong codes: not locked yet');
    p.send({ type: 'keypad', action: 'arm_away', code: codes.master, user: 2 });
    note(t, p, "the tenth wrong code is the master's");
    t.is(p.result(), 'refused locked_out', 'the tenth locks');
    t.is(p.snap().lockout, 90, 'every entry point for 90 s');
    p.keypad('disarm', codes.master);
    t.is(p.result(), 'refused locked_out', 'the panel keypad too');
  },
  'an entry point for a user who does not exist refuses without counting': (t) => {
    const p = new Panel();
    for (let i = 0; i < 12; i++) p.send({ type: 'keypad', action: 'arm_away', code: codes.master, user: 42 });
    t.is(p.result(), 'refused unknown_user', 'unknown user');
    t.is(p.snap().lockout, 0, 'no lockout from a misconfiguration');
    p.keypad('arm_away', codes.master);
    t.is(p.result(), 'ok', 'the keypad still works');
  },
});
