// Attack: locking the owner out (issue 12, finding 3). A device on the LAN typed 10 wrong codes
// every 90 s: the panel-wide lockout refused the owner's right code every time, and since the
// lockout also refused signed remote commands, the owner could not disarm from afar either.
// Now code entries are limited per client, and a key-authenticated command (no code) is not
// subject to the wrong-code lockout; its user's role still applies.
import test from 'ava';
import { brokerPanel, read } from './lan-support.ts';
import { CodeThrottle, FREE_WRONG, MAX_CLIENTS } from '../../src/portal/throttle.ts';

const ATTACKER = '192.168.1.66';
const OWNER = '192.168.1.20';
const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');

test('a LAN client typing 10 wrong codes every 90 s does not lock the owner out', (t) => {
  const { host, panel, first, keypad } = brokerPanel();
  const wrong = wrongCode(first.masterCode);
  const owner: string[] = [];
  const attacker: number[] = [];
  for (let round = 0; round < 4; round++) { // 300 s
    for (let i = 0; i < 10; i++) attacker.push(keypad(ATTACKER, 'disarm', wrong).status);
    for (const action of ['arm_away', 'disarm']) {
      const r = read(keypad(OWNER, action, first.masterCode));
      owner.push(r.ok ? 'ok' : r.reason);
    }
    host.runTo(panel, host.uptimeMs + 90_000);
  }
  t.deepEqual(owner, Array(8).fill('ok'), "the owner's right code is accepted every time");
  t.is(panel.snapshot().lockout, 0, 'the panel-wide lockout never engaged');
  t.deepEqual(attacker.slice(0, 10), [...Array(FREE_WRONG).fill(200), ...Array(10 - FREE_WRONG).fill(429)], 'the guesser is slowed down on its own');
  t.is(attacker.filter((s) => s === 200).length, FREE_WRONG + 2, 'in 300 s two more guesses got through (it waited 30 s, then 60 s, then 120 s)');
});

test('the throttle stays bounded, and new clients do not free a waiting one', (t) => {
  let now = 0;
  const throttle = new CodeThrottle(() => now);
  for (let i = 0; i < FREE_WRONG; i++) throttle.wrong(ATTACKER);
  t.true(throttle.wait(ATTACKER) > 0);
  for (let i = 0; i < 10_000; i++) throttle.wrong(`10.0.${i >> 8}.${i & 255}`); // one wrong code each: no wait
  t.true(throttle.size() <= MAX_CLIENTS, `remembered: ${throttle.size()}`);
  t.true(throttle.wait(ATTACKER) > 0, 'the waiting client is still waiting');
  now += 31_000;
  t.is(throttle.wait(ATTACKER), 0);
  throttle.wrong(ATTACKER);
  t.is(throttle.wait(ATTACKER), 60_000, 'the wait doubles');
});

test('the wrong-code lockout does not refuse a signed remote disarm (roles still apply)', (t) => {
  const { host, panel, first, keypad, command, replies } = brokerPanel();
  t.true(read(keypad(OWNER, 'arm_away', first.masterCode)).ok);
  host.runTo(panel, host.uptimeMs + 31_000);
  t.is(panel.snapshot().mode, 'armed_away');
  // 10 wrong codes, from as many LAN clients: the panel-wide lockout engages.
  const wrong = wrongCode(first.masterCode);
  for (let i = 0; i < 10; i++) keypad(`192.168.1.${100 + i}`, 'disarm', wrong);
  t.true(panel.snapshot().lockout > 0, 'locked out');
  t.is(read(keypad(OWNER, 'disarm', first.masterCode)).reason, 'locked_out', 'code entry points are locked');
  command('disarm', 7);
  t.like(replies().at(-1), { id: 7, ok: true, state: 'disarmed' }, 'the signed disarm is accepted');
  t.is(panel.snapshot().mode, 'disarmed');
});
