// The alarm core, alarms: an intruder, a tamper while disarmed, a swinging zone. Node and XS.
import { defineScenarios } from '../../hosts/xs/probe';
import { Panel, codes, house, note } from './core-panel';

export default defineScenarios('core alarms', {
  'intruder through a window while away': (t) => {
    const p = new Panel();
    p.keypad('arm_away', codes.user);
    p.wait(30);
    note(t, p, 'armed away');
    p.open(5);
    note(t, p, 'kitchen window opens');
    t.is(p.mode, 'triggered', 'instant alarm');
    p.wait(60);
    p.open(4);
    note(t, p, 'living PIR while the siren sounds');
    p.wait(120);
    note(t, p, 'siren time (180 s) is over');
    t.is(p.snap().siren, false, 'the siren stopped at its cap');
    t.is(p.mode, 'triggered', 'still triggered');
    t.log('alarm memory', p.snap().zones.filter((z) => z.memory).map((z) => z.zone));
    p.keypad('disarm', codes.user);
    note(t, p, 'disarm');
    t.is(p.snap().zones.filter((z) => z.memory).length, 0, 'memory cleared at disarm');
  },
  'tamper while disarmed: a local warning and 137, no siren': (t) => {
    const p = new Panel();
    p.open(7);
    note(t, p, 'enclosure opened');
    t.is(p.mode, 'disarmed', 'still disarmed');
    t.is(p.snap().siren, false, 'no siren');
    t.is(p.snap().ready.armed_away.ready, false, 'cannot arm with a tamper');
    p.close(7);
    note(t, p, 'enclosure closed');
    p.send({ type: 'tamper', zone: 3, active: true });
    note(t, p, 'hall PIR cover removed');
    t.log('ready away', p.snap().ready.armed_away);
    p.send({ type: 'tamper', zone: 3, active: false });
    note(t, p, 'cover back');
    const loud = new Panel(house({ zones: [{ number: 7, name: 'Enclosure', type: '24h', sirenWhenDisarmed: true }] }));
    loud.open(7);
    note(t, loud, 'enclosure opened, siren configured for 24h zones');
    t.is(loud.snap().siren, true, 'the siren sounds as configured');
  },
  'swinger shutdown after three alarms from one zone': (t) => {
    const p = new Panel();
    p.keypad('arm_home', codes.user);
    p.wait(10);
    for (let i = 1; i <= 4; i++) {
      p.open(6);
      note(t, p, `bedroom window flaps (${i})`);
      p.close(6);
      p.wait(200);
    }
    t.is(p.snap().zones[5].bypassed, true, 'zone 6 shut down');
    t.is(p.events().filter((e) => e.code === 130).length, 3, 'three alarms, not four');
    t.is(p.mode, 'triggered', 'still triggered: only a disarm ends an alarm');
    p.open(2);
    note(t, p, 'back door opens');
    t.ok(p.events().some((e) => e.code === 134 && e.zone === 2), 'other zones still alarm');
    p.keypad('disarm', codes.user);
    note(t, p, 'disarm');
  },
  'panic while disarmed, audible': (t) => {
    const p = new Panel();
    p.open(8);
    note(t, p, 'panic button');
    t.is(p.mode, 'disarmed', 'the mode stays disarmed');
    t.is(p.snap().siren, true, 'the siren sounds');
    p.keypad('silence', codes.user);
    note(t, p, 'silence');
    p.keypad('disarm', codes.user);
    note(t, p, 'acknowledge');
  },
});
