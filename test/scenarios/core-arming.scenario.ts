// The alarm core, arming: leave and come back, force-arm with bypass, exit error. Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { Panel, codes, note } from './core-panel';

export default defineScenarios('core arming', {
  'arm away, leave, come back, disarm': (t) => {
    const p = new Panel();
    note(t, p, 'boot');
    t.is(p.snap().ready.armed_away.ready, true, 'ready to arm away');
    p.keypad('arm_away', codes.user);
    note(t, p, 'arm away with the family code');
    t.is(p.mode, 'arming', 'the exit delay runs');
    p.wait(2);
    p.open(1);
    note(t, p, 'front door opens on the way out');
    p.wait(3);
    p.close(1);
    note(t, p, 'front door closes');
    p.wait(25);
    note(t, p, 'exit delay over');
    t.is(p.mode, 'armed_away', 'armed away');
    p.wait(3600);
    p.open(1);
    note(t, p, 'back home: front door opens');
    t.is(p.mode, 'pending', 'the entry delay runs');
    t.is(p.snap().entry, 30, '30 s to disarm');
    p.wait(5);
    p.open(3);
    note(t, p, 'hall PIR on the way to the keypad');
    t.is(p.mode, 'pending', 'the follower waits for the entry delay');
    p.wait(5);
    p.keypad('disarm', codes.user);
    note(t, p, 'disarm');
    t.is(p.mode, 'disarmed', 'disarmed');
    t.is(p.events().filter((e) => e.code === 130 || e.code === 134).length, 0, 'no alarm');
  },
  'force-arm bypasses the open zones, each logged': (t) => {
    const p = new Panel();
    p.open(5);
    p.open(6);
    p.keypad('arm_away', codes.user);
    note(t, p, 'arm away with two windows open');
    t.is(p.result(), 'refused zones_open [5,6]', 'refused, naming the windows');
    p.keypad('arm_away', codes.armOnly, { force: true });
    note(t, p, 'force by the arm-only user');
    t.is(p.result(), 'refused not_permitted [5,6]', 'arm-only may not force');
    p.keypad('arm_away', codes.user, { force: true });
    note(t, p, 'force by the family user');
    t.is(p.result(), 'ok', 'armed with bypasses');
    p.wait(30);
    note(t, p, 'exit delay over');
    p.close(5);
    p.open(5);
    note(t, p, 'a bypassed window moves');
    t.is(p.mode, 'armed_away', 'no alarm from a bypassed zone');
    p.open(3);
    note(t, p, 'hall PIR');
    t.is(p.mode, 'triggered', 'other zones still protect');
    p.keypad('disarm', codes.user);
    note(t, p, 'disarm');
    t.is(p.snap().zones.filter((z) => z.bypassed).length, 0, 'bypasses end at disarm');
  },
  'exit error: the door left open starts the entry delay': (t) => {
    const p = new Panel();
    p.keypad('arm_away', codes.master);
    p.open(1);
    note(t, p, 'arm, walk out, the door stays open');
    p.wait(30);
    note(t, p, 'exit delay over');
    t.is(p.mode, 'pending', 'exit error: entry delay');
    p.wait(30);
    note(t, p, 'nobody disarms');
    t.is(p.mode, 'triggered', 'entry/exit alarm');
    p.keypad('disarm', codes.master);
    note(t, p, 'disarm');
  },
});
