// Power cycles: a restore never lowers the state; the siren keeps its cap; counters survive.
import test from 'ava';
import { Panel, codes, house } from '../scenarios/core-panel.ts';
import { persisted, restore } from '../../src/core/machine.ts';

function armedAway(): Panel {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.wait(30);
  return p;
}

test('305 at every boot, with the boot count; sequence numbers continue', (t) => {
  const p = armedAway();
  t.like(p.events()[0], { seq: 1, boot: 1, code: 305, q: 1, uptime: 0 });
  const q = p.powerCycle();
  t.like(q.events()[0], { seq: p.state.seq + 1, boot: 2, code: 305, uptime: 0 });
});

test('armed stays armed', (t) => {
  const q = armedAway().powerCycle();
  t.is(q.mode, 'armed_away');
  t.deepEqual(q.said(), ['#3 305/1']);
  q.open(5);
  t.is(q.mode, 'triggered');
});

test('arming completes to its target, and the closing is reported at boot', (t) => {
  const p = new Panel();
  p.keypad('arm_night', codes.user, {});
  p.keypad('disarm', codes.user);
  p.keypad('arm_home', codes.user);
  t.is(p.mode, 'arming');
  const q = p.powerCycle();
  t.is(q.mode, 'armed_home');
  t.deepEqual(q.said(), ['#4 305/1', '#5 441/3 u2']);
});

test('power cut during the entry delay: back as triggered, with 134, the siren and alarm memory', (t) => {
  const p = armedAway();
  p.open(1);
  p.wait(10);
  const q = p.powerCycle();
  t.is(q.mode, 'triggered');
  t.deepEqual(q.said(), ['#3 305/1', '#4 134/1 z1', 'siren alarm']);
  t.true(q.snap().zones[0].memory);
  q.wait(180);
  t.deepEqual(q.said(), ['siren off'], 'the siren keeps its cap');
  q.keypad('disarm', codes.user);
  t.deepEqual(q.said(), ['#5 401/1 u2', '#6 134/3 z1', 'siren chirp_disarm']);
});

test('power cut while the siren sounds: triggered, one more capped run', (t) => {
  const p = armedAway();
  p.open(5);
  p.wait(100);
  const q = p.powerCycle();
  t.is(q.mode, 'triggered');
  t.deepEqual(q.said(), ['#4 305/1', 'siren alarm']);
  q.wait(179.999);
  t.true(q.snap().siren);
  q.wait(0.001);
  t.false(q.snap().siren);
  t.true(q.snap().zones[4].memory);
});

test('power cut after the siren run: triggered and quiet', (t) => {
  const p = armedAway();
  p.open(5);
  p.wait(200);
  const q = p.powerCycle();
  t.is(q.mode, 'triggered');
  t.deepEqual(q.said(), ['#4 305/1']);
  t.true(q.snap().zones[4].memory);
});

test('a silenced alarm stays silent after a restart', (t) => {
  const p = armedAway();
  p.open(5);
  p.keypad('silence', codes.user);
  const q = p.powerCycle();
  t.false(q.snap().siren);
  t.is(q.mode, 'triggered');
});

test('the wrong-code counter and the lock survive; the lock runs its full 90 s again', (t) => {
  const p = new Panel();
  for (let i = 0; i < 10; i++) p.keypad('disarm', '0000');
  p.wait(60);
  const q = p.powerCycle();
  t.is(q.snap().lockout, 90);
  q.keypad('disarm', codes.user);
  t.is(q.result(), 'refused locked_out');
  q.wait(90);
  t.deepEqual(q.said(), ['#4 461/3']);
  const r = new Panel();
  for (let i = 0; i < 7; i++) r.keypad('disarm', '0000');
  const s = r.powerCycle();
  t.is(s.state.wrongCodes, 7);
  for (let i = 0; i < 3; i++) s.keypad('disarm', '0000');
  t.is(s.result(), 'refused locked_out');
});

test('bypasses, swinger counts and disarmed memory survive', (t) => {
  const p = new Panel(house({ swingerLimit: 3 }));
  p.keypad('bypass', codes.user, { zone: 6 });
  p.open(7);
  const q = p.powerCycle();
  t.is(q.mode, 'disarmed');
  t.true(q.snap().zones[5].bypassed);
  t.true(q.snap().zones[6].memory);
  t.is(q.state.zones[7].alarms, 1);
});

test('persisted data is small plain data that survives JSON', (t) => {
  const p = armedAway();
  p.open(1);
  const saved = persisted(p.state);
  t.deepEqual(JSON.parse(JSON.stringify(saved)), saved);
  t.true(JSON.stringify(saved).length < 200, JSON.stringify(saved));
  t.false('deadline' in saved, 'uptimes mean nothing after a restart');
});

test('malformed persisted data is refused with a clear error', (t) => {
  const settings = house();
  const good = persisted(armedAway().state);
  t.throws(() => restore(settings, null, 2), { message: /the record is malformed/ });
  t.throws(() => restore(settings, { ...good, v: 2 }, 2), { message: /v \(version\)/ });
  t.throws(() => restore(settings, { ...good, mode: 'asleep' }, 2), { message: /mode is malformed/ });
  t.throws(() => restore(settings, { ...good, seq: -1 }, 2), { message: /seq is malformed/ });
  t.throws(() => restore(settings, { ...good, memory: [[1]] }, 2), { message: /memory is malformed/ });
  t.notThrows(() => restore(settings, good, 2));
});

test('zones that no longer exist are dropped on restore', (t) => {
  const p = new Panel();
  p.keypad('bypass', codes.user, { zone: 6 });
  const fewer = house({ zones: [{ number: 1, type: 'delayed' }] });
  const q = new Panel(fewer, restore(fewer, persisted(p.state), 2), 2);
  t.deepEqual(Object.keys(q.state.zones), ['1']);
});
