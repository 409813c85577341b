// Issue 12, item 2: a broker that lies about the panel. With the panel's uplink key, the monitor
// tells what the panel said from what the broker made up: a forged reply is FORGED (exit 6), never
// "Accepted"; watch reports forged events and the events the broker dropped (a sequence gap).
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../support/brokers.ts';
import { LivePanel, MonitorProcess, keyFile, runMonitor } from '../monitor/live.ts';
import { decodeCommand, encodeReply, CommandKey } from '../../src/uplink/commands.ts';
import { peekMac0Payload } from '../../src/uplink/cose.ts';
import { decodeEvent, encodeEvent } from '../../src/uplink/payloads.ts';
import { sealUplink } from '../../src/uplink/uplink-auth.ts';
import { encodeKey } from '../../src/uplink/keys.ts';
import { payload, type Packet } from '../../src/uplink/packets.ts';
import { LyingProxy } from './lying-broker.ts';

const uplinkKey = new Uint8Array(32).fill(0x42);
const guessedKey = new Uint8Array(32).fill(0x24); // the broker does not have the uplink key

function uplinkFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'uplink-')), 'uplink.json');
  writeFileSync(file, JSON.stringify({ p1: encodeKey(uplinkKey) }), { mode: 0o600 });
  return file;
}

async function rig(t: import('ava').ExecutionContext) {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const lie = await LyingProxy.start(broker.port);
  t.teardown(() => lie.close());
  const p = new LivePanel({
    brokerPort: lie.port,
    config: { uplink: encodeKey(uplinkKey), broker: { url: `mqtt://127.0.0.1:${lie.port}`, prefix: 'alarm', version: 5, keepalive: 10 } },
  });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.commands === 'subscribed', 'the panel to subscribe to commands');
  return { broker, lie, p, url: `mqtt://127.0.0.1:${broker.port}` };
}

test('the broker drops an arm and forges "ok": the monitor prints FORGED and exits 6, never Accepted', async (t) => {
  const { lie, p, url } = await rig(t);
  let dropped = 0;
  lie.toPanelFilter = (packet, proxy) => {
    if (packet.cmd !== 'publish' || packet.topic !== 'alarm/p1/cmd') return true;
    const decoded = decodeCommand(peekMac0Payload(new Uint8Array(packet.payload as Uint8Array))!);
    if (!decoded.ok || decoded.command.action !== 'arm_away') return true;
    dropped++;
    // The panel never sees it; the broker answers for it, as well as it can without the key.
    if (packet.qos === 1) proxy.toBroker({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 } as Packet);
    const reply = encodeReply({ id: decoded.command.id, ok: true, state: 'arming' });
    proxy.toBroker({ cmd: 'publish', topic: 'alarm/p1/reply', payload: payload(sealUplink(reply, guessedKey, 'p1', 'reply')), qos: 0, retain: false, dup: false } as unknown as Packet);
    return false;
  };
  const arm = await runMonitor(['arm', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--uplink', uplinkFile(), '--timeout', '5s']);
  t.is(dropped, 1, 'the broker dropped the arm');
  t.notRegex(arm.stdout, /Accepted/);
  t.regex(arm.stdout, /^FORGED: arm away: a reply to our command \(id \d+\) that the panel did not send: MAC does not match\./);
  t.is(arm.code, 6, arm.stderr);
  t.is(p.panel.snapshot().mode, 'disarmed', 'the panel never armed');

  // A forged reply in plain CBOR (no envelope at all) is FORGED too.
  lie.toPanelFilter = (packet, proxy) => {
    if (packet.cmd !== 'publish' || packet.topic !== 'alarm/p1/cmd') return true;
    const decoded = decodeCommand(peekMac0Payload(new Uint8Array(packet.payload as Uint8Array))!);
    if (packet.qos === 1) proxy.toBroker({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 } as Packet);
    const reply = encodeReply({ id: decoded.ok ? decoded.command.id : 0, ok: true, state: 'arming' });
    proxy.toBroker({ cmd: 'publish', topic: 'alarm/p1/reply', payload: payload(reply), qos: 0, retain: false, dup: false } as unknown as Packet);
    return false;
  };
  const plain = await runMonitor(['arm', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--uplink', uplinkFile(), '--timeout', '5s']);
  t.regex(plain.stdout, /^FORGED: arm away: .*not authenticated/);
  t.is(plain.code, 6);

  // An honest broker again: the genuine reply verifies.
  lie.toPanelFilter = () => true;
  const honest = await runMonitor(['arm', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--uplink', uplinkFile()]);
  t.is(honest.code, 0, honest.stderr);
  t.is(honest.stdout, 'Accepted: arm away. Panel p1 is arming.\n');
  const unchecked = await runMonitor(['test', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1)]);
  t.is(unchecked.code, 0, unchecked.stderr);
  t.regex(unchecked.stderr, /the reply is not verified \(the panel authenticates its uplink; give --uplink FILE to check it\)/, 'without the key: read, and said to be unchecked');
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'log-')), 'p1.log');
  const log = await runMonitor(['log', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--uplink', uplinkFile(), '--out', out]);
  t.is(log.code, 0, log.stderr);
  t.regex(log.stdout, /Chain intact/, 'authenticated log chunks, verified and joined');
});

test('watch --uplink: a forged heartbeat is reported FORGED, a dropped alarm as a sequence gap', async (t) => {
  const { lie, p, url } = await rig(t);
  const monitor = new MonitorProcess(['watch', '--json', '--broker', url, '--panel', 'p1', '--uplink', uplinkFile()]);
  t.teardown(() => monitor.stop());
  await monitor.ready();

  t.true(p.panel.keypad('bypass', p.masterCode, { zone: 2 }).ok); // 570: through
  await monitor.until(() => monitor.events().some((e) => e.code === 570), 'the first bypass');

  // The broker swallows the next event (PUBACKing it to the panel) and feeds the station a fake 602.
  let swallowed: number | undefined;
  lie.toBrokerFilter = (packet, proxy) => {
    if (packet.cmd !== 'publish' || packet.topic !== 'alarm/p1/event' || swallowed !== undefined) return true;
    const event = decodeEvent(peekMac0Payload(new Uint8Array(packet.payload as Uint8Array))!);
    if (event.code !== 570) return true;
    swallowed = event.seq;
    proxy.toPanel({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 } as Packet);
    const fake = encodeEvent({ ...event, code: 602, q: 1, zone: undefined, user: undefined } as never);
    proxy.toBroker({ cmd: 'publish', topic: 'alarm/p1/event', payload: payload(sealUplink(fake, guessedKey, 'p1', 'event')), qos: 0, retain: false, dup: false } as unknown as Packet);
    return false;
  };
  t.true(p.panel.keypad('unbypass', p.masterCode, { zone: 2 }).ok); // 570 q3: swallowed
  await p.until(() => swallowed !== undefined, 'the broker to swallow the unbypass event');
  t.true(p.panel.keypad('bypass', p.masterCode, { zone: 2 }).ok); // 570 again: through
  await monitor.until(() => monitor.json.some((r) => r.type === 'gap'), 'the gap');
  const forged = monitor.json.find((r) => r.type === 'forged');
  t.like(forged, { panel: 'p1', topic: 'event', detail: 'MAC does not match' });
  t.like(monitor.json.find((r) => r.type === 'gap'), { panel: 'p1', from: swallowed, to: swallowed, missing: 1 });
  t.false(monitor.events().some((e) => e.code === 602), 'the fake heartbeat is not shown as an event');
  t.true(monitor.events().every((e) => e.verified === true), 'every event shown was verified');
});
