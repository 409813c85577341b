// The alarm core, restart: a power cut never lowers the state. Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { Panel, codes, note } from './core-panel';

export default defineScenarios('core restart', {
  'power cut in the middle of the entry delay': (t) => {
    const p = new Panel();
    p.keypad('arm_away', codes.user);
    p.wait(30);
    p.open(1);
    note(t, p, 'intruder opens the front door');
    p.wait(10);
    t.is(p.mode, 'pending', 'entry delay running');
    const q = p.powerCycle();
    note(t, q, 'intruder cuts the power; it comes back');
    t.is(q.mode, 'triggered', 'back as triggered');
    t.is(q.snap().siren, true, 'the siren sounds');
    t.ok(q.snap().zones[0].memory, 'alarm memory for the door');
    q.wait(180);
    note(t, q, 'siren time over');
    t.is(q.snap().siren, false, 'the cap holds after a restart');
    q.keypad('disarm', codes.user);
    note(t, q, 'the owner disarms');
  },
  'power cut during the exit delay, while armed, and while locked out': (t) => {
    const p = new Panel();
    p.keypad('arm_home', codes.user);
    const q = p.powerCycle();
    note(t, q, 'power back after a cut in the exit delay');
    t.is(q.mode, 'armed_home', 'arming completed to its target');
    const r = q.powerCycle();
    note(t, r, 'power back while armed home');
    t.is(r.mode, 'armed_home', 'armed stays armed');
    for (let i = 0; i < 10; i++) r.keypad('disarm', '0000');
    const s = r.powerCycle();
    note(t, s, 'power back while locked out');
    t.is(s.snap().lockout, 90, 'the lock survives');
    s.keypad('disarm', codes.user);
    note(t, s, 'the right code, still locked');
    t.is(s.result(), 'refused locked_out', 'refused');
    t.log('boot, seq of the last event', [s.boot, s.events().at(-1)?.seq]);
  },
});
