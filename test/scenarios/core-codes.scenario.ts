// The alarm core, codes: duress and the wrong-code lockout. Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { Panel, codes, note } from './core-panel';

export default defineScenarios('core codes', {
  'duress: disarms as usual and sends a silent 121': (t) => {
    const p = new Panel();
    p.keypad('arm_away', codes.master);
    p.wait(30);
    p.open(1);
    note(t, p, 'armed; the front door opens');
    p.wait(10);
    p.keypad('disarm', codes.masterDuress);
    note(t, p, 'disarm with the duress code');
    t.is(p.mode, 'disarmed', 'disarmed, as the intruder expects');
    t.is(p.snap().siren, false, 'nothing sounds');
    t.ok(p.events().some((e) => e.code === 121 && e.user === 1), '121 for user 1 goes to the monitor');
  },
  'lockout after 10 wrong codes, for 90 s, again after 10 more': (t) => {
    const p = new Panel();
    for (let i = 1; i <= 10; i++) {
      p.keypad('disarm', '0000');
      if (i >= 9) note(t, p, `wrong code ${i}`);
    }
    t.is(p.snap().lockout, 90, 'locked for 90 s');
    p.keypad('arm_away', codes.master);
    note(t, p, 'the right code while locked');
    p.send({ type: 'remote', user: 1, action: 'arm_away' });
    note(t, p, 'a remote command while locked');
    p.wait(90);
    note(t, p, 'the lock ends');
    for (let i = 11; i <= 20; i++) p.keypad('disarm', '9876');
    note(t, p, 'wrong code 20');
    t.is(p.result(), 'refused locked_out', 'locked again');
    p.wait(90);
    p.keypad('arm_home', codes.user);
    note(t, p, 'the right code after the lock');
    t.is(p.state.wrongCodes, 0, 'a right code resets the counter');
  },
});
