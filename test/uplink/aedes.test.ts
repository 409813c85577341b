// The session against aedes, a broker that speaks MQTT 3.1.1 only: it must fall back from
// MQTT 5, remember it, and deliver exactly as on a v5 broker.
import test from 'ava';
import { startAedes } from '../support/brokers.ts';
import { Subscriber, readEvent, firstArrivals, range } from './subscriber.ts';
import { TestPanel } from './panel.ts';
import { nodeConnect } from '../../hosts/node/transport.ts';
import { packetReader } from '../../src/uplink/packets.ts';
import type { Connect } from '../../src/uplink/transport.ts';
import { encodeState, decodeState } from '../../src/uplink/payloads.ts';

/** A Connect that notes the protocol version of every CONNECT the panel writes. */
function sniffingConnect(versions: number[]): Connect {
  return (target, events) => {
    const t = nodeConnect(target, events);
    const reader = packetReader(5, (p) => { if (p.cmd === 'connect') versions.push(p.protocolVersion ?? 0); }, () => {});
    return { write: (bytes) => { reader.push(bytes); return t.write(bytes); }, close: () => t.close() };
  };
}

test('aedes (MQTT 3.1.1 only): the panel falls back, remembers it, and delivers every event', async (t) => {
  const broker = await startAedes();
  t.teardown(() => broker.close());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const sub = await Subscriber.connect(url, ['alarm/a1/#'], { protocolVersion: 4 });
  t.teardown(() => sub.close());
  const versions: number[] = [];
  const panel = new TestPanel({ host: '127.0.0.1', port: broker.port, panelId: 'a1' }, sniffingConnect(versions));
  t.teardown(() => panel.stop());

  panel.uplink.publishState(encodeState({ mode: 'disarmed' }));
  panel.add(40);
  await sub.until(() => new Set(sub.on('alarm/a1/event').map((m) => readEvent(m.payload).seq)).size >= 40, '40 events');
  await panel.until(() => panel.outbox.size() === 0, 'the outbox to drain');

  t.deepEqual(versions, [5, 4], 'MQTT 5 tried first, then 3.1.1');
  t.is(panel.uplink.info().protocol, 4);
  t.log(`status: ${panel.statuses.map((s) => s.reason).join(' | ')}`);
  t.deepEqual(panel.statuses.map((s) => s.up), [true], 'the fallback is not reported as trouble');
  t.regex(panel.statuses[0].reason, /\(MQTT 3\.1\.1\)/);

  const events = sub.on('alarm/a1/event');
  t.true(events.every((e) => !e.retain && e.qos === 1 && e.properties === undefined), 'QoS 1, not retained, no MQTT 5 properties');
  t.deepEqual(firstArrivals(events.map((e) => readEvent(e.payload).seq)), range(40), 'in order, no gaps');

  // Retained status and state for a monitor that connects later (3.1.1 marks them on delivery).
  const late = await Subscriber.connect(url, ['alarm/a1/status', 'alarm/a1/state'], { protocolVersion: 4 });
  t.teardown(() => late.close());
  await late.until(() => late.messages.length >= 2, 'the retained status and state');
  t.true(late.messages.every((m) => m.retain));
  t.is(Buffer.from(late.on('alarm/a1/status')[0].payload).toString(), 'online');
  t.is(decodeState(late.on('alarm/a1/state')[0].payload).mode, 'disarmed');
});

test('aedes restarted on the same port: the panel comes back on 3.1.1 without trying 5 again', async (t) => {
  const first = await startAedes();
  const versions: number[] = [];
  const panel = new TestPanel({ host: '127.0.0.1', port: first.port, panelId: 'a2' }, sniffingConnect(versions));
  t.teardown(() => panel.stop());
  await panel.until(() => panel.up, 'up');
  const port = first.port;
  await first.close();
  await panel.until(() => !panel.up, 'down');
  const second = await startAedes(port);
  t.teardown(() => second.close());
  await panel.until(() => panel.up, 'up again');
  t.is(versions[0], 5, 'MQTT 5 once');
  t.true(versions.length >= 3, 'reconnected');
  t.deepEqual(versions.slice(1), versions.slice(1).map(() => 4), 'then only 3.1.1');
});
