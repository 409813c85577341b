// The shape of the core: a pure step, deadlines, events and their fields, the other inputs.
import test from 'ava';
import { Panel, codes, house } from '../scenarios/core-panel.ts';
import { initialState, nextDeadline, step, snapshot, type State } from '../../src/core/machine.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

test('step never changes the state it is given', (t) => {
  const settings = house();
  let s: State = deepFreeze(initialState(settings, 1));
  const inputs = [
    { type: 'boot' }, { type: 'keypad', action: 'arm_away', code: codes.user }, { type: 'zone', zone: 1, open: true },
    { type: 'tick' }, { type: 'tamper', zone: 3, active: true }, { type: 'keypad', action: 'disarm', code: codes.user },
  ] as const;
  let uptime = 0;
  for (const input of inputs) {
    uptime += 20_000;
    s = deepFreeze(step(settings, s, input, { uptime }).state);
  }
  t.is(s.mode, 'disarmed');
});

test('a step that changes nothing returns the same state and no state_changed', (t) => {
  const p = new Panel();
  const before = p.state;
  t.deepEqual(p.send({ type: 'tick' }), []);
  t.is(p.state, before);
  p.send({ type: 'zone', zone: 1, open: false });
  t.is(p.state, before);
  t.deepEqual(p.last, []);
});

test('every change to the snapshot or the persisted data says state_changed, last', (t) => {
  const p = new Panel();
  const effects = p.open(2);
  t.deepEqual(effects, [{ type: 'state_changed' }], 'an open zone shows in the snapshot');
  const arm = p.keypad('arm_home', codes.user);
  t.deepEqual(arm.at(-1), { type: 'state_changed' });
});

test('events carry seq, boot, uptime, wall time when known, code, qualifier, zone, user', (t) => {
  const settings = house();
  let s = initialState(settings, 7);
  let r = step(settings, s, { type: 'boot' }, { uptime: 1500 });
  t.deepEqual(r.effects[0], { type: 'event', event: { seq: 1, boot: 7, uptime: 1500, code: 305, q: 1 } });
  s = r.state;
  r = step(settings, s, { type: 'remote', user: 2, action: 'test' }, { uptime: 2500, time: 1_790_000_000 });
  t.deepEqual(r.effects[0], { type: 'event', event: { seq: 2, boot: 7, uptime: 2500, time: 1_790_000_000, code: 602, q: 1, user: 2 } });
});

test('a deadline event is stamped with the deadline, even when the tick comes late', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.t = 45_000; // the host ticks 15 s late
  p.send({ type: 'tick' });
  t.like(p.events().at(-1), { code: 401, uptime: 30_000 });
});

test('deadlines fall due in time order within one late step', (t) => {
  const p = new Panel(house({ sirenTime: 120 }));
  p.keypad('arm_away', codes.user);
  p.wait(30);
  p.open(1);
  p.t += 400_000; // entry delay (30 s) then the siren cap (120 s), both overdue
  p.send({ type: 'tick' });
  t.deepEqual(p.said(), ['#3 134/1 z1', 'siren off'], 'the alarm happened and its run is over: the entry beeps just stop');
  t.false(p.snap().siren);
  t.is(p.mode, 'triggered');
});

test('nextDeadline: 0 before the boot step, then the exit, entry, siren and lock deadlines', (t) => {
  const settings = house();
  const s = initialState(settings, 1);
  t.is(nextDeadline(s), 0);
  const p = new Panel(settings);
  t.is(nextDeadline(p.state), undefined);
  p.keypad('arm_away', codes.user);
  t.is(nextDeadline(p.state), 30_000);
  p.wait(30);
  p.open(1);
  t.is(nextDeadline(p.state), 60_000);
  p.wait(30);
  t.is(nextDeadline(p.state), 60_000 + 180_000);
  for (let i = 0; i < 10; i++) p.keypad('disarm', '0000');
  t.is(nextDeadline(p.state), p.t + 90_000, 'the lock ends before the siren run');
});

test('any first step performs the boot', (t) => {
  const settings = house();
  const r = step(settings, initialState(settings, 1), { type: 'zone', zone: 5, open: true }, { uptime: 10 });
  t.like(r.effects[0], { type: 'event', event: { code: 305 } });
  t.is(step(settings, r.state, { type: 'boot' }, { uptime: 20 }).effects.length, 0, 'a second boot input is ignored');
});

test('uplink loss is logged (350) and its return restored; the first connection is quiet', (t) => {
  const p = new Panel();
  p.send({ type: 'uplink', up: true });
  t.deepEqual(p.said(), []);
  p.send({ type: 'uplink', up: false });
  t.deepEqual(p.said(), ['#2 350/1']);
  p.send({ type: 'uplink', up: false });
  t.deepEqual(p.said(), []);
  p.send({ type: 'uplink', up: true });
  t.deepEqual(p.said(), ['#3 350/3']);
  const q = new Panel();
  q.send({ type: 'uplink', up: false });
  t.deepEqual(q.said(), ['#2 350/1'], 'never connected at all is trouble too');
});

test('losing the uplink never sounds nor silences the siren', (t) => {
  const p = new Panel();
  p.open(8);
  t.deepEqual(p.send({ type: 'uplink', up: false }).filter((e) => e.type === 'siren'), []);
  t.true(p.snap().siren);
});

test('outbox overflow 624, test report 602, configuration changed 306 with the user', (t) => {
  const p = new Panel();
  p.send({ type: 'outbox_overflow' });
  p.send({ type: 'test_report' });
  p.send({ type: 'config_changed', user: 1 });
  t.deepEqual(p.events().slice(1).map((e) => [e.code, e.q, e.user]), [[624, 1, undefined], [602, 1, undefined], [306, 1, 1]]);
});

test('new settings: zone state follows the zone list', (t) => {
  const p = new Panel();
  p.open(5);
  p.settings = house({ zones: [{ number: 5, type: 'instant' }, { number: 12, type: 'instant' }] });
  p.send({ type: 'config_changed' });
  t.deepEqual(p.snap().zones.map((z) => [z.zone, z.open]), [[5, true], [12, false]]);
  t.deepEqual(Object.keys(p.state.zones), ['5', '12']);
});

test('the snapshot: mode, zones, readiness, siren, lockout and delays', (t) => {
  const p = new Panel();
  p.open(1);
  p.keypad('arm_away', codes.user);
  p.wait(12.3);
  const snap = snapshot(p.settings, p.state, { uptime: p.t });
  t.is(snap.mode, 'arming');
  t.is(snap.armedMode, 'armed_away');
  t.is(snap.exit, 18);
  t.is(snap.entry, undefined);
  t.false(snap.siren);
  t.is(snap.lockout, 0);
  t.deepEqual(snap.zones[0], { zone: 1, name: 'Front door', type: 'delayed', open: true, fault: false, bypassed: false, memory: false });
  t.is(snap.zones.length, 8);
});
