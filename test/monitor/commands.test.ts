// Signed commands from the monitor CLI to a real panel over mosquitto: the reply in words and
// the exit codes (0 accepted, 1 no broker, 2 bad arguments, 3 refused, 4 no reply). Keys never echo.
import test from 'ava';
import { Mosquitto } from '../support/brokers.ts';
import { encodeKey } from '../../src/uplink/keys.ts';
import { LivePanel, keyFile, keyOf, runMonitor } from './live.ts';

test('arm and disarm from the CLI change the panel and print its reply; refusals exit 3 with the reason', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const p = new LivePanel({ brokerPort: broker.port });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.commands === 'subscribed', 'the panel to subscribe to commands');
  const common = ['--broker', `mqtt://127.0.0.1:${broker.port}`, '--panel', 'p1'];
  const owner = keyFile(1);

  const arm = await runMonitor(['arm', ...common, '--keyfile', owner]);
  t.is(arm.code, 0, arm.stderr);
  t.is(arm.stdout, 'Accepted: arm away. Panel p1 is arming.\n');
  t.is(p.panel.snapshot().mode, 'arming', 'the panel is arming');

  const disarm = await runMonitor(['disarm', ...common, '--user', '1', '--key', encodeKey(keyOf(1)), '--json']);
  t.is(disarm.code, 0, disarm.stderr);
  t.like(JSON.parse(disarm.stdout), { panel: 'p1', action: 'disarm', ok: true, state: 'disarmed' });
  t.is(p.panel.snapshot().mode, 'disarmed');

  const cleaner = await runMonitor(['disarm', ...common, '--keyfile', keyFile(3)]);
  t.is(cleaner.code, 3, 'refused');
  t.is(cleaner.stdout, 'Refused: disarm: not_permitted. Panel p1 is disarmed.\n');

  const forged = await runMonitor(['arm', ...common, '--keyfile', keyFile(1, keyOf(9))]);
  t.is(forged.code, 3);
  t.regex(forged.stdout, /^Refused: arm away: bad_mac: MAC does not match\./);
  t.is(p.panel.snapshot().mode, 'disarmed', 'nothing changed');

  const bypass = await runMonitor(['bypass', '2', ...common, '--keyfile', owner]);
  t.is(bypass.code, 0, bypass.stderr);
  t.true(p.panel.snapshot().zones.find((z) => z.zone === 2)!.bypassed, 'zone 2 bypassed');
  const unknownZone = await runMonitor(['bypass', '9', ...common, '--keyfile', owner]);
  t.is(unknownZone.code, 3);
  t.is(unknownZone.stdout, 'Refused: bypass: unknown_zone (zone 9). Panel p1 is disarmed.\n');

  t.true(p.lines.some((l) => l.includes('command refused: bad_mac')), 'the panel logged the forgery');
  for (const r of [arm, disarm, cleaner, forged, bypass]) t.false(r.stdout.includes(encodeKey(keyOf(1))) || r.stderr.includes(encodeKey(keyOf(1))), 'no key printed');
});

test('a panel with no clock: the monitor fetches its nonce, the command carries it and is accepted', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const p = new LivePanel({ brokerPort: broker.port, clock: false });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.commands === 'subscribed', 'the panel to subscribe to commands');
  const common = ['--broker', `mqtt://127.0.0.1:${broker.port}`, '--panel', 'p1', '--keyfile', keyFile(1)];
  const arm = await runMonitor(['arm', ...common]);
  t.is(arm.code, 0, arm.stderr);
  t.is(arm.stdout, 'Accepted: arm away. Panel p1 is arming.\n');
  const disarm = await runMonitor(['disarm', ...common]);
  t.is(disarm.code, 0, disarm.stderr);
  t.is(p.panel.snapshot().mode, 'disarmed');
});

test('no reply in time exits 4; no broker exits 1; bad arguments exit 2 and send nothing', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const owner = keyFile(1);
  const [silent, nobody, noZone, badKey, badTimeout] = await Promise.all([
    runMonitor(['arm', '--broker', url, '--panel', 'nobody', '--keyfile', owner, '--timeout', '1s']),
    runMonitor(['arm', '--broker', 'mqtt://127.0.0.1:1', '--panel', 'p1', '--keyfile', owner]),
    runMonitor(['bypass', '--broker', url, '--panel', 'p1', '--keyfile', owner]),
    runMonitor(['arm', '--broker', url, '--panel', 'p1', '--user', '1', '--key', 'not-a-key-but-secret']),
    runMonitor(['arm', '--broker', url, '--panel', 'p1', '--keyfile', owner, '--timeout', 'soon']),
  ]);
  t.is(silent.code, 4);
  t.is(silent.stderr, 'monitor arm: no reply from panel nobody within 1 s.\n');
  t.is(nobody.code, 1);
  t.is(nobody.stderr, 'monitor arm: cannot connect to mqtt://127.0.0.1:1: connection refused (is the broker running?)\n');
  t.is(noZone.code, 2);
  t.regex(noZone.stderr, /^monitor bypass: bypass needs the zone number/);
  t.is(badKey.code, 2);
  t.is(badKey.stderr, 'monitor arm: --key: the key is not a 256-bit key in base64url (43 characters)\n');
  t.false(badKey.stderr.includes('secret'), 'the bad key is not echoed');
  t.is(badTimeout.code, 2);
  for (const r of [silent, nobody, noZone, badKey, badTimeout]) t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
});

test('--help everywhere; keygen --json prints a key in the shape --keyfile reads', async (t) => {
  const runs = await Promise.all(['watch', 'arm', 'bypass', 'log', 'keygen'].map((c) => runMonitor([c, '--help'])));
  for (const r of runs) {
    t.is(r.code, 0);
    t.regex(r.stdout, /^Usage: monitor /);
  }
  t.regex(runs[3].stdout, /5 the log's hash chain is broken/);
  const top = await runMonitor(['--help']);
  t.is(top.code, 0);
  t.regex(top.stdout, /Exit codes: 0 done \/ accepted, 1 broker unreachable, 2 bad arguments, 3 refused by the panel,\n4 no reply in time, 5 broken hash chain\./);
  const key = await runMonitor(['keygen', '--user', '5', '--json']);
  t.is(key.code, 0);
  const parsed = JSON.parse(key.stdout) as { user: number; key: string };
  t.is(parsed.user, 5);
  t.regex(parsed.key, /^[A-Za-z0-9_-]{43}$/);
});
