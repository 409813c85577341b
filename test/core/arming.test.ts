// Arming: exit delays, refusal and readiness, force-arm, exit error, cancel, bypass.
import test from 'ava';
import { Panel, codes, house } from '../scenarios/core-panel.ts';

test('arm away: the exit delay beeps, then the panel closes (401 q3 by the user) with a chirp', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  t.is(p.result(), 'ok');
  t.is(p.mode, 'arming');
  t.deepEqual(p.said(), ['siren exit_beep'], 'no event until the exit delay ends');
  p.wait(10);
  t.is(p.snap().exit, 20);
  t.deepEqual(p.wait(19.999), []);
  t.deepEqual(p.wait(0.001).filter((e) => e.type !== 'state_changed').length, 2);
  t.is(p.mode, 'armed_away');
  const last = p.events().at(-1)!;
  t.like(last, { code: 401, q: 3, user: 2, uptime: 30_000 });
  t.deepEqual(p.history.filter((h) => h.effect.type === 'siren').map((h) => h.effect), [
    { type: 'siren', on: true, pattern: 'exit_beep' },
    { type: 'siren', on: true, pattern: 'chirp_arm' },
  ]);
});

test('arm home and night close with 441; an exit delay of 0 arms at once', (t) => {
  const p = new Panel();
  p.keypad('arm_home', codes.master);
  p.wait(10);
  t.is(p.mode, 'armed_home');
  t.like(p.events().at(-1), { code: 441, q: 3, user: 1 });
  p.keypad('disarm', codes.master);
  p.keypad('arm_night', codes.master);
  t.is(p.mode, 'armed_night');
  t.deepEqual(p.said(), ['#4 441/3 u1', 'siren chirp_arm']);
});

test('arming is refused while a watched zone is open, naming the zones', (t) => {
  const p = new Panel();
  p.open(5);
  p.open(3);
  p.keypad('arm_away', codes.user);
  t.is(p.result(), 'refused zones_open [3,5]');
  t.is(p.mode, 'disarmed');
  t.deepEqual(p.said(), [], 'a refusal changes nothing');
  p.keypad('arm_home', codes.user);
  t.is(p.result(), 'refused zones_open [5]', 'the hall PIR is not watched at home');
});

test('an open delayed zone does not block a mode with an exit delay, but blocks one without', (t) => {
  const p = new Panel();
  p.open(1);
  t.deepEqual(p.snap().ready.armed_away, { ready: true, zones: [] });
  t.deepEqual(p.snap().ready.armed_night, { ready: false, reason: 'zones_open', zones: [1] });
  p.keypad('arm_night', codes.user);
  t.is(p.result(), 'refused zones_open [1]');
});

test('readiness per mode with the zones that block it', (t) => {
  const p = new Panel();
  p.open(4); // living PIR: away and night
  p.open(6); // bedroom window: away and home
  const ready = p.snap().ready;
  t.deepEqual(ready.armed_away, { ready: false, reason: 'zones_open', zones: [4, 6] });
  t.deepEqual(ready.armed_home, { ready: false, reason: 'zones_open', zones: [6] });
  t.deepEqual(ready.armed_night, { ready: false, reason: 'zones_open', zones: [4] });
  p.close(4);
  p.close(6);
  p.keypad('arm_away', codes.user);
  t.deepEqual(p.snap().ready.armed_home, { ready: false, reason: 'invalid_state', zones: [] }, 'not while arming');
});

test('a zone fault blocks arming in every mode, even where the zone is not watched', (t) => {
  const p = new Panel();
  p.send({ type: 'tamper', zone: 3, active: true });
  for (const mode of ['armed_away', 'armed_home', 'armed_night'] as const) {
    t.deepEqual(p.snap().ready[mode].zones, [3], mode);
  }
  t.true(p.snap().zones[2].fault);
});

test('force-arm bypasses each open zone (570 with the user) and arms', (t) => {
  const p = new Panel();
  p.open(5);
  p.open(6);
  p.keypad('arm_away', codes.user, { force: true });
  t.is(p.result(), 'ok');
  t.deepEqual(p.said().slice(0, 2), ['#2 570/1 z5 u2', '#3 570/1 z6 u2']);
  t.deepEqual(p.snap().zones.filter((z) => z.bypassed).map((z) => z.zone), [5, 6]);
  p.wait(30);
  t.is(p.mode, 'armed_away', 'the bypassed open zones raise no alarm');
  p.close(5);
  p.open(5);
  t.is(p.mode, 'armed_away');
  p.keypad('disarm', codes.user);
  t.deepEqual(p.said(), ['#5 401/1 u2', '#6 570/3 z5', '#7 570/3 z6', 'siren chirp_disarm'], 'bypasses end at disarm');
});

test('force is refused to an arm-only user when zones must be bypassed', (t) => {
  const p = new Panel();
  p.open(5);
  p.keypad('arm_away', codes.armOnly, { force: true });
  t.is(p.result(), 'refused not_permitted [5]');
  p.close(5);
  p.keypad('arm_away', codes.armOnly, { force: true });
  t.is(p.result(), 'ok', 'nothing to bypass: a plain arm');
});

test('exit error: a delayed zone still open at the end of the exit delay → 374 and the entry delay', (t) => {
  const p = new Panel();
  p.open(2);
  p.keypad('arm_away', codes.user);
  p.wait(30);
  t.deepEqual(p.said(), ['#2 401/3 u2', '#3 374/1 z2', 'siren entry_beep']);
  t.is(p.mode, 'pending');
  t.is(p.snap().entry, 30);
  p.wait(30);
  t.is(p.mode, 'triggered');
  t.deepEqual(p.said(), ['#4 134/1 z2', 'siren alarm']);
});

test('exit error can be disarmed within the entry delay', (t) => {
  const p = new Panel();
  p.open(1);
  p.keypad('arm_away', codes.user);
  p.wait(40);
  p.keypad('disarm', codes.user);
  t.is(p.mode, 'disarmed');
  t.false(p.events().some((e) => e.code === 134));
});

test('a watched non-delayed zone open when the exit delay ends is an intrusion', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.wait(5);
  p.open(5); // tolerated during the exit delay
  t.is(p.mode, 'arming');
  p.wait(25);
  t.deepEqual(p.said(), ['#2 401/3 u2', '#3 130/1 z5', 'siren alarm']);
  t.is(p.mode, 'triggered');
});

test('a follower open at the end of the exit delay is forgiven while an exit error runs the entry delay', (t) => {
  const p = new Panel();
  p.open(1);
  p.keypad('arm_away', codes.user);
  p.open(3);
  p.wait(30);
  t.is(p.mode, 'pending');
  t.false(p.events().some((e) => e.code === 130));
});

test('disarm during the exit delay cancels: no closing, no opening reported', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.wait(5);
  p.keypad('disarm', codes.user);
  t.is(p.mode, 'disarmed');
  t.deepEqual(p.said(), ['siren chirp_disarm']);
  t.is(p.events().length, 1, 'only the 305 of the boot');
  t.is(p.wait(60).length, 0, 'the exit deadline is gone');
});

test('arming is refused unless disarmed and quiet', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.keypad('arm_home', codes.user);
  t.is(p.result(), 'refused invalid_state');
  p.keypad('disarm', codes.user);
  p.open(8); // panic while disarmed: the siren sounds
  p.keypad('arm_away', codes.user);
  t.is(p.result(), 'refused invalid_state');
});

test('bypass and unbypass: while disarmed only, logged with the user; panic buttons cannot be bypassed', (t) => {
  const p = new Panel();
  p.keypad('bypass', codes.user, { zone: 6 });
  t.is(p.result(), 'ok');
  t.deepEqual(p.said(), ['#2 570/1 z6 u2']);
  p.keypad('bypass', codes.user, { zone: 6 });
  t.deepEqual(p.said(), [], 'bypassing twice logs once');
  p.keypad('bypass', codes.user, { zone: 8 });
  t.is(p.result(), 'refused not_permitted [8]');
  p.keypad('bypass', codes.user, { zone: 42 });
  t.is(p.result(), 'refused unknown_zone [42]');
  p.keypad('bypass', codes.user);
  t.is(p.result(), 'refused invalid_input');
  p.keypad('unbypass', codes.user, { zone: 6 });
  t.deepEqual(p.said(), ['#3 570/3 z6 u2']);
  p.keypad('bypass', codes.user, { zone: 6 });
  p.keypad('arm_away', codes.user);
  p.keypad('unbypass', codes.user, { zone: 6 });
  t.is(p.result(), 'refused invalid_state');
  p.keypad('bypass', codes.armOnly, { zone: 5 });
  t.is(p.result(), 'refused not_permitted');
});

test('a bypassed zone stays bypassed through arming until the next disarm', (t) => {
  const p = new Panel();
  p.keypad('bypass', codes.user, { zone: 6 });
  p.keypad('disarm', codes.user); // an acknowledgement while disarmed keeps bypasses
  t.true(p.snap().zones[5].bypassed);
  p.keypad('arm_home', codes.user);
  p.wait(10);
  p.open(6);
  t.is(p.mode, 'armed_home');
  p.keypad('disarm', codes.user);
  t.false(p.snap().zones[5].bypassed);
});

test('the swinger counters start afresh with each armed period', (t) => {
  const p = new Panel(house({ swingerLimit: 2 }));
  p.keypad('arm_away', codes.user);
  p.wait(30);
  p.open(5);
  p.keypad('disarm', codes.user);
  p.close(5);
  p.keypad('arm_away', codes.user);
  p.wait(30);
  p.open(5);
  t.false(p.snap().zones[4].bypassed, 'one alarm in this period, not two');
});
