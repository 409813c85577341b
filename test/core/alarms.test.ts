// Alarms: entry delay, zone types, siren cap, alarm memory, swinger, chime, tamper, panic, silence.
import test from 'ava';
import { Panel, codes, house } from '../scenarios/core-panel.ts';

function armed(mode: 'arm_away' | 'arm_home' | 'arm_night' = 'arm_away', settings = house()): Panel {
  const p = new Panel(settings);
  p.keypad(mode, codes.user);
  p.wait(30);
  return p;
}

test('a delayed zone starts the entry delay; disarming in time raises no alarm', (t) => {
  const p = armed();
  p.open(1);
  t.is(p.mode, 'pending');
  t.deepEqual(p.said(), ['siren entry_beep']);
  p.wait(29);
  t.is(p.snap().entry, 1);
  p.keypad('disarm', codes.user);
  t.deepEqual(p.said(), ['#3 401/1 u2', 'siren chirp_disarm']);
  t.is(p.mode, 'disarmed');
});

test('the entry delay runs out: 134 for the entry zone, the siren, alarm memory', (t) => {
  const p = armed();
  p.open(1);
  p.wait(30);
  t.deepEqual(p.said(), ['#3 134/1 z1', 'siren alarm']);
  t.is(p.mode, 'triggered');
  t.true(p.snap().zones[0].memory);
  t.true(p.snap().siren);
});

test('the entry delay is per mode', (t) => {
  const home = armed('arm_home');
  home.open(1);
  home.wait(14.999);
  t.is(home.mode, 'pending');
  home.wait(0.001);
  t.is(home.mode, 'triggered');
  const night = armed('arm_night'); // entry delay 0: opening the door is an alarm at once
  night.open(1);
  t.deepEqual(night.said(), ['#3 134/1 z1', 'siren alarm']);
});

test('a follower waits while the entry delay runs, and alarms (130) otherwise', (t) => {
  const p = armed();
  p.open(1);
  p.open(3);
  t.is(p.mode, 'pending', 'walking from the door to the keypad');
  const q = armed();
  q.open(3);
  t.deepEqual(q.said(), ['#3 130/1 z3', 'siren alarm']);
});

test('an instant zone alarms at once, even during the entry delay', (t) => {
  const p = armed();
  p.open(1);
  p.open(5);
  t.deepEqual(p.said(), ['#3 130/1 z5', 'siren alarm']);
  t.is(p.mode, 'triggered');
});

test('zones not watched in the armed mode do nothing', (t) => {
  const p = armed('arm_home');
  p.open(3); // hall PIR: away only
  p.open(4); // living PIR: away and night
  t.is(p.mode, 'armed_home');
  t.deepEqual(p.said(), []);
  const n = armed('arm_night');
  n.open(6); // bedroom window: away and home
  t.is(n.mode, 'armed_night');
  n.open(4);
  t.is(n.mode, 'triggered');
});

test('the siren stops at its cap; the panel stays triggered with alarm memory until disarm', (t) => {
  const p = armed('arm_away', house({ sirenTime: 120 }));
  p.open(5);
  const start = p.t;
  p.wait(119.999);
  t.true(p.snap().siren);
  p.wait(0.001);
  t.deepEqual(p.said(), ['siren off']);
  t.is(p.t - start, 120_000);
  t.is(p.mode, 'triggered');
  t.true(p.snap().zones[4].memory);
  p.wait(3600);
  t.is(p.mode, 'triggered');
  p.keypad('disarm', codes.user);
  t.deepEqual(p.said(), ['#4 401/1 u2', '#5 130/3 z5', 'siren chirp_disarm'], 'the burglary is restored at disarm');
  t.false(p.snap().zones[4].memory);
});

test('another alarm does not prolong the siren run; one after the run starts a new run', (t) => {
  const p = armed();
  p.open(5);
  p.wait(100);
  p.open(6);
  t.deepEqual(p.said(), ['#4 130/1 z6'], 'no new siren effect while it sounds');
  p.wait(80);
  t.deepEqual(p.said(), ['siren off'], 'the first run ends at 180 s');
  p.open(3);
  t.deepEqual(p.said(), ['#5 130/1 z3', 'siren alarm']);
});

test('a delayed zone opening while triggered is an entry/exit alarm at once', (t) => {
  const p = armed();
  p.open(5);
  p.open(2);
  t.deepEqual(p.said(), ['#4 134/1 z2']);
});

test('swinger shutdown: after the limit of alarms a zone is bypassed (570) until disarm', (t) => {
  const p = armed('arm_away', house({ swingerLimit: 2 }));
  p.open(5);
  p.close(5);
  p.wait(200);
  p.open(5);
  t.deepEqual(p.said(), ['#4 130/1 z5', '#5 570/1 z5', 'siren alarm']);
  p.close(5);
  p.wait(200);
  p.open(5);
  t.deepEqual(p.said(), [], 'a bypassed zone raises no alarm');
  t.true(p.snap().zones[4].bypassed);
  p.keypad('disarm', codes.user);
  t.deepEqual(p.said(), ['#6 401/1 u2', '#7 130/3 z5', '#8 570/3 z5', 'siren chirp_disarm']);
});

test('chime: only chime zones, only while disarmed', (t) => {
  const p = new Panel();
  p.open(1);
  t.deepEqual(p.said(), ['siren chime']);
  p.open(2);
  t.deepEqual(p.said(), [], 'no chime on the back door');
  p.open(3);
  t.deepEqual(p.said(), [], 'followers never chime');
  p.close(1);
  t.deepEqual(p.said(), [], 'closing does not chime');
  p.close(2);
  p.close(3);
  p.keypad('arm_away', codes.user);
  p.open(1);
  t.deepEqual(p.said(), [], 'no chime during the exit delay');
});

test('a 24h zone while disarmed: 137 and a local warning, no siren; 137 restore when it closes', (t) => {
  const p = new Panel();
  p.open(7);
  t.deepEqual(p.said(), ['#2 137/1 z7', 'siren warning']);
  t.is(p.mode, 'disarmed');
  t.false(p.snap().siren);
  t.true(p.snap().zones[6].memory);
  p.close(7);
  t.deepEqual(p.said(), ['#3 137/3 z7']);
  p.keypad('disarm', codes.user);
  t.false(p.snap().zones[6].memory, 'an acknowledgement clears the memory');
  t.deepEqual(p.said(), ['siren chirp_disarm'], 'tampers were restored already');
});

test('a 24h zone set to sound while disarmed sounds the siren, and the panel stays disarmed', (t) => {
  const settings = house({
    zones: [{ number: 7, type: '24h', sirenWhenDisarmed: true }],
  });
  const p = new Panel(settings);
  p.open(7);
  t.deepEqual(p.said(), ['#2 137/1 z7', 'siren alarm']);
  t.is(p.mode, 'disarmed');
  p.keypad('silence', codes.user);
  t.deepEqual(p.said(), ['siren off']);
});

test('a 24h zone while armed triggers the alarm', (t) => {
  const p = armed('arm_home');
  p.open(7);
  t.deepEqual(p.said(), ['#3 137/1 z7', 'siren alarm']);
  t.is(p.mode, 'triggered');
});

test('a zone tamper contact: 137 in every state, an alarm while armed, a warning while disarmed', (t) => {
  const p = new Panel();
  p.send({ type: 'tamper', zone: 3, active: true });
  t.deepEqual(p.said(), ['#2 137/1 z3', 'siren warning']);
  p.send({ type: 'tamper', zone: 3, active: false });
  t.deepEqual(p.said(), ['#3 137/3 z3']);
  const q = armed('arm_home');
  q.send({ type: 'tamper', zone: 3, active: true }); // not watched at home, but tampered with
  t.deepEqual(q.said(), ['#3 137/1 z3', 'siren alarm']);
  t.is(q.mode, 'triggered');
});

test('tamper during the exit delay or the entry delay triggers', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.user);
  p.open(7);
  t.is(p.mode, 'triggered');
  const q = armed();
  q.open(1);
  q.send({ type: 'tamper', zone: 5, active: true });
  t.is(q.mode, 'triggered');
});

test('panic: audible 123 in every state; while disarmed the panel stays disarmed', (t) => {
  const p = new Panel();
  p.open(8);
  t.deepEqual(p.said(), ['#2 123/1 z8', 'siren alarm']);
  t.is(p.mode, 'disarmed');
  p.keypad('disarm', codes.user);
  t.deepEqual(p.said(), ['#3 123/3 z8', 'siren chirp_disarm'], 'acknowledged: restored, silent');
  const q = armed('arm_night');
  q.open(8);
  t.deepEqual(q.said(), ['#3 123/1 z8', 'siren alarm']);
  t.is(q.mode, 'triggered');
});

test('a silent panic sends 122 and the siren stays quiet', (t) => {
  const p = new Panel(house({ zones: [{ number: 8, type: 'panic', silent: true }] }));
  p.open(8);
  t.deepEqual(p.said(), ['#2 122/1 z8']);
  const q = armed('arm_away', house({ zones: [{ number: 8, type: 'panic', silent: true }] }));
  q.open(8);
  t.deepEqual(q.said(), ['#3 122/1 z8']);
  t.false(q.snap().siren);
});

test('panic buttons are never shut down by the swinger rule', (t) => {
  const p = new Panel(house({ swingerLimit: 1 }));
  for (let i = 0; i < 3; i++) {
    p.open(8);
    p.close(8);
  }
  t.is(p.events().filter((e) => e.code === 123).length, 3);
  t.false(p.snap().zones[7].bypassed);
});

test('silence stops the siren and keeps the alarm; silence with nothing sounding is refused', (t) => {
  const p = armed();
  p.keypad('silence', codes.user);
  t.is(p.result(), 'refused invalid_state');
  p.open(5);
  p.keypad('silence', codes.user);
  t.deepEqual(p.said(), ['siren off']);
  t.is(p.mode, 'triggered');
  t.true(p.snap().zones[4].memory);
  p.keypad('silence', codes.armOnly);
  t.is(p.result(), 'refused not_permitted');
});

test('a bypassed zone reports nothing, tamper included', (t) => {
  const p = new Panel();
  p.keypad('bypass', codes.user, { zone: 7 });
  p.open(7);
  p.send({ type: 'tamper', zone: 7, active: true });
  t.deepEqual(p.said(), []);
  t.true(p.snap().zones[6].open);
});

test('zone changes for an unknown zone are refused and change nothing', (t) => {
  const p = new Panel();
  const before = p.state;
  p.open(99);
  t.is(p.result(), 'refused unknown_zone [99]');
  t.is(p.state, before);
  p.send({ type: 'tamper', zone: 0, active: true });
  t.is(p.result(), 'refused unknown_zone [0]');
  p.send({ type: 'zone', zone: '5' as unknown as number, open: true });
  t.is(p.result(), 'refused invalid_input', 'a zone number must be a number');
  t.is(p.state, before);
});

test('a zone reported open twice counts once', (t) => {
  const p = armed('arm_away', house({ swingerLimit: 2 }));
  p.open(5);
  p.open(5);
  t.deepEqual(p.said(), []);
  t.is(p.events().filter((e) => e.code === 130).length, 1);
});
