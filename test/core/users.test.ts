// Users: roles, duress, the wrong-code lockout, remote commands, malformed actions.
import test from 'ava';
import { Panel, codes } from '../scenarios/core-panel.ts';
import { matchCode } from '../../src/core/users.ts';
import type { Input } from '../../src/core/io.ts';

const wrong = (p: Panel, n: number) => {
  for (let i = 0; i < n; i++) p.keypad('disarm', '0000');
};

test('roles: arm-only arms but may not disarm, silence, bypass or test; users and masters may', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.armOnly);
  t.is(p.result(), 'ok');
  p.keypad('disarm', codes.armOnly);
  t.is(p.result(), 'refused not_permitted');
  t.is(p.mode, 'arming');
  p.keypad('disarm', codes.user);
  t.is(p.result(), 'ok');
  p.send({ type: 'remote', user: 3, action: 'test' });
  t.is(p.result(), 'refused not_permitted');
  p.send({ type: 'remote', user: 1, action: 'test' });
  t.deepEqual(p.said(), ['#2 602/1 u1']);
});

test('codes are matched against each user, and never stored or logged', (t) => {
  const p = new Panel();
  t.is(matchCode(p.settings.users, codes.user)?.user.number, 2);
  t.deepEqual(matchCode(p.settings.users, codes.masterDuress), { user: p.settings.users[0], duress: true });
  t.is(matchCode(p.settings.users, '12345'), undefined);
  t.is(matchCode(p.settings.users, 1234), undefined, 'a number is not a code');
  p.keypad('arm_away', codes.user);
  t.false(JSON.stringify(p.history).includes(codes.user));
  t.false(JSON.stringify(p.state).includes(codes.user));
});

test('duress: disarms visibly while sending a silent 121', (t) => {
  const p = new Panel();
  p.keypad('arm_away', codes.master);
  p.wait(30);
  p.open(1);
  p.keypad('disarm', codes.masterDuress);
  t.is(p.result(), 'ok');
  t.is(p.mode, 'disarmed');
  t.deepEqual(p.said(), ['#3 121/1 u1', '#4 401/1 u1', 'siren chirp_disarm'], 'the same chirp as any disarm, no alarm');
  t.false(p.snap().siren);
});

test('a duress code also arms (and still sends 121)', (t) => {
  const p = new Panel();
  p.keypad('arm_home', codes.masterDuress);
  t.is(p.result(), 'ok');
  t.deepEqual(p.said(), ['#2 121/1 u1', 'siren exit_beep']);
});

test('lockout: the 10th wrong code in a row locks every code entry point for 90 s and reports 461', (t) => {
  const p = new Panel();
  wrong(p, 9);
  t.is(p.result(), 'refused bad_code');
  p.keypad('disarm', '0000');
  t.is(p.result(), 'refused locked_out');
  t.deepEqual(p.said(), ['#2 461/1']);
  t.is(p.snap().lockout, 90);
  p.keypad('disarm', codes.master);
  t.is(p.result(), 'refused locked_out', 'even the right code');
  p.send({ type: 'remote', user: 1, action: 'test' });
  t.is(p.result(), 'ok', 'a key-authenticated command carries no code: the lockout does not apply');
  t.deepEqual(p.said(), ['#3 602/1 u1'], 'the test report is sent');
  wrong(p, 5);
  t.deepEqual(p.said(), [], 'attempts while locked neither count nor log');
  p.wait(89.999);
  t.is(p.snap().lockout, 1);
  p.wait(0.001);
  t.deepEqual(p.said(), ['#4 461/3']);
  p.keypad('arm_away', codes.master);
  t.is(p.result(), 'ok');
});

test('lockout again after each further 10 wrong codes; a correct code resets the count', (t) => {
  const p = new Panel();
  wrong(p, 10);
  p.wait(90);
  wrong(p, 9);
  t.is(p.result(), 'refused bad_code');
  wrong(p, 1);
  t.is(p.result(), 'refused locked_out');
  t.is(p.events().filter((e) => e.code === 461 && e.q === 1).length, 2);
  p.wait(90);
  wrong(p, 9);
  p.keypad('disarm', codes.user);
  t.is(p.result(), 'ok');
  wrong(p, 9);
  t.is(p.result(), 'refused bad_code', 'the count started again');
  t.is(p.state.wrongCodes, 9);
});

test('malformed codes count as wrong codes', (t) => {
  const p = new Panel();
  for (const code of ['', '12', 'abcd', '123456789', '0000']) p.keypad('disarm', code);
  t.is(p.state.wrongCodes, 5);
});

test('remote commands: no code, the role applies, unknown users are refused', (t) => {
  const p = new Panel();
  p.send({ type: 'remote', user: 9, action: 'arm_away' });
  t.is(p.result(), 'refused unknown_user');
  p.send({ type: 'remote', user: 3, action: 'arm_away' });
  t.is(p.result(), 'ok');
  p.send({ type: 'remote', user: 3, action: 'disarm' });
  t.is(p.result(), 'refused not_permitted');
  p.send({ type: 'remote', user: 2, action: 'disarm' });
  t.is(p.result(), 'ok');
  p.open(5);
  p.send({ type: 'remote', user: 2, action: 'arm_home', force: true });
  t.deepEqual(p.said(), ['#2 570/1 z5 u2', 'siren exit_beep']);
  t.is(p.state.wrongCodes, 0);
});

test('malformed actions are refused as invalid input, and are not wrong codes', (t) => {
  const p = new Panel();
  p.send({ type: 'keypad', action: 'test', code: codes.user } as unknown as Input);
  t.is(p.result(), 'refused invalid_input');
  p.send({ type: 'remote', user: 1, action: 'reboot' } as unknown as Input);
  t.is(p.result(), 'refused invalid_input');
  p.send({ type: 'dance' } as unknown as Input);
  t.is(p.result(), 'refused invalid_input');
  t.is(p.state.wrongCodes, 0);
  t.is(p.events().length, 1);
});

test('keypad and remote actions always answer with exactly one result', (t) => {
  const p = new Panel();
  const inputs: Input[] = [
    { type: 'keypad', action: 'arm_away', code: codes.user },
    { type: 'keypad', action: 'disarm', code: '0000' },
    { type: 'remote', user: 1, action: 'disarm' },
    { type: 'remote', user: 1, action: 'silence' },
    { type: 'keypad', action: 'bypass', code: codes.user, zone: 3 },
  ];
  for (const input of inputs) t.is(p.send(input).filter((e) => e.type === 'result').length, 1, input.type);
});
