// Issue 12, item 2: sealed mode. With `sealed: true` the broker, and anyone subscribed to it,
// learns topics and sizes only: an independent subscriber on mosquitto sees no byte of an
// event's CBOR (nor of the state's or a reply's), while `monitor --uplink` opens them, and a
// tampered copy is reported FORGED.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../support/brokers.ts';
import { LivePanel, MonitorProcess, keyFile, runMonitor } from '../monitor/live.ts';
import { Subscriber } from '../uplink/subscriber.ts';
import { decodeEvent } from '../../src/uplink/payloads.ts';
import { openUplink, type UplinkKind } from '../../src/uplink/uplink-auth.ts';
import { encodeKey } from '../../src/uplink/keys.ts';

const uplinkKey = new Uint8Array(32).fill(0x42);

function uplinkFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'uplink-')), 'uplink.json');
  writeFileSync(file, JSON.stringify({ p1: encodeKey(uplinkKey) }), { mode: 0o600 });
  return file;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('sealed: a subscriber sees no plaintext of an event, the state or a reply; the monitor opens them, and FORGED a tampered copy', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const spy = await Subscriber.connect(url, ['alarm/#']);
  t.teardown(() => spy.client.endAsync());
  const p = new LivePanel({
    brokerPort: broker.port,
    config: { uplink: encodeKey(uplinkKey), sealed: true, broker: { url, prefix: 'alarm', version: 5, keepalive: 10 } },
  });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.commands === 'subscribed', 'the panel to subscribe to commands');
  const monitor = new MonitorProcess(['watch', '--json', '--broker', url, '--panel', 'p1', '--uplink', uplinkFile()]);
  t.teardown(() => monitor.stop());
  await monitor.ready();

  t.true(p.panel.keypad('bypass', p.masterCode, { zone: 2 }).ok); // 570, zone 2
  await monitor.until(() => monitor.events().some((e) => e.code === 570), 'the monitor to show the bypass');
  t.like(monitor.events().find((e) => e.code === 570), { zone: 2, verified: true });
  const arm = await runMonitor(['arm', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--uplink', uplinkFile()]);
  t.is(arm.stdout, 'Accepted: arm away. Panel p1 is arming.\n', arm.stderr);
  await spy.until(() => spy.on('alarm/p1/reply').length > 0 && spy.on('alarm/p1/event').length >= 2, 'the reply and the events');

  // Everything the subscriber saw on these topics: sealed, and not one plaintext in its bytes.
  const kinds: UplinkKind[] = ['event', 'state', 'nonce'];
  let checked = 0;
  for (const kind of kinds) {
    for (const m of spy.on(`alarm/p1/${kind}`)) {
      t.is(m.payload[0], 0xd0, `${kind}: a COSE_Encrypt0 (tag 16)`);
      const opened = openUplink(m.payload, uplinkKey, 'p1', kind);
      if (!opened.ok) { t.fail(`${kind} does not open: ${opened.detail}`); continue; }
      t.false(hex(m.payload).includes(hex(opened.payload.subarray(0, 6))), `${kind}: no 6 bytes of its CBOR on the wire`);
      checked++;
    }
  }
  t.true(checked >= 4, `${checked} messages checked`);
  const bypass = spy.on('alarm/p1/event').map((m) => openUplink(m.payload, uplinkKey, 'p1', 'event')).flatMap((o) => (o.ok ? [decodeEvent(o.payload)] : []))
    .find((e) => e.code === 570)!;
  t.is(bypass.zone, 2, 'the subscriber holds the sealed bypass event');
  const reply = spy.on('alarm/p1/reply')[0].payload;
  t.false(Buffer.from(reply).includes('arming'), 'the reply says nothing readable ("arming")');
  t.false(Buffer.from(spy.on('alarm/p1/state').at(-1)!.payload).includes('Front door'), 'nor the state (zone names)');

  const sealedEvent = spy.on('alarm/p1/event').at(-1)!.payload;
  t.log(`sealed event sizes on the wire: ${spy.on('alarm/p1/event').map((m) => m.payload.length).join(', ')} bytes`);

  // The broker (or anyone who can publish) changes one byte of a sealed event: FORGED, not shown.
  const tampered = sealedEvent.slice();
  tampered[tampered.length - 20] ^= 0x01;
  await spy.client.publishAsync('alarm/p1/event', Buffer.from(tampered), { qos: 1 });
  await monitor.until(() => monitor.json.some((r) => r.type === 'forged'), 'the tampered event to be reported');
  t.like(monitor.json.find((r) => r.type === 'forged'), { panel: 'p1', topic: 'event', detail: 'does not decrypt (tag does not match)' });
  t.true(monitor.events().every((e) => e.verified === true), 'every event shown was opened');

  // Without the key the monitor cannot read a sealed panel, and says why.
  const blind = await runMonitor(['test', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--timeout', '3s']);
  t.not(blind.code, 0);
  t.regex(blind.stderr + blind.stdout, /sealed mode: its reply can be read only with its uplink key/);
});
