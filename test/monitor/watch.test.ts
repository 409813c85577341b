// monitor watch, run as a person runs it, against Debian's mosquitto and a real panel (the whole
// app over node:net): it decodes, names, de-duplicates a resent event, flags a panel whose link
// died (the broker's last will) or that fell silent, and splits events in a $share group.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../support/brokers.ts';
import { Subscriber, readEvent } from '../uplink/subscriber.ts';
import { LivePanel, LinkProxy, MonitorProcess } from './live.ts';

const names = () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'monitor-names-')), 'names.json');
  writeFileSync(file, JSON.stringify({ users: { 1: 'Owner' } }));
  return file;
};

test('watch --json: events in words, a resent event shown once, the panel flagged offline when its link dies', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const proxy = await LinkProxy.start(broker.port);
  t.teardown(() => proxy.close());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const monitor = new MonitorProcess(['watch', '--json', '--broker', url, '--panel', 'p1', '--names', names()]);
  t.teardown(() => monitor.stop());
  await monitor.ready();
  const wire = await Subscriber.connect(url, ['alarm/p1/event']); // sees every copy the broker delivers, DUPs included
  t.teardown(() => wire.close());

  const p = new LivePanel({ brokerPort: proxy.port });
  t.teardown(() => p.close());
  await p.until(() => p.up, 'the panel to connect');
  t.true(p.panel.keypad('bypass', p.masterCode, { zone: 2 }).ok);
  await monitor.until(() => monitor.events().length >= 2, 'two events');
  const [restart, bypass] = monitor.events();
  t.like(restart, { type: 'event', panel: 'p1', seq: 1, code: 305, q: 1, text: 'Panel restarted' });
  t.like(bypass, { panel: 'p1', seq: 2, code: 570, zone: 2, user: 1, zoneName: 'Hall motion', userName: 'Owner', text: 'Zone bypassed, zone 2 Hall motion by user 1 Owner' });
  t.regex(String(bypass.localTime), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'local time: the panel clock is set');

  // The broker's PUBACK never reaches the panel: after a new link, the panel sends the event again (DUP).
  proxy.swallow = true;
  t.true(p.panel.keypad('unbypass', p.masterCode, { zone: 2 }).ok);
  await monitor.until(() => monitor.events().some((e) => e.seq === 3), 'event 3');
  proxy.swallow = false;
  proxy.cut();
  await wire.until(() => wire.messages.filter((m) => readEvent(m.payload).seq === 3).length >= 2, 'event 3 delivered twice');
  // Uplink trouble (350) and its restore follow the resend on the same topic, in order.
  await monitor.until(() => monitor.events().some((e) => e.code === 350 && e.q === 3), 'the uplink restore');
  t.is(monitor.events().filter((e) => e.seq === 3).length, 1, 'the resent event is shown once');
  t.like(monitor.events().find((e) => e.seq === 3), { text: 'Bypass removed, zone 2 Hall motion by user 1 Owner' });
  const seqs = monitor.events().map((e) => e.seq as number);
  t.deepEqual(seqs, [...new Set(seqs)], 'no event twice');
  t.deepEqual(seqs, seqs.slice().sort((a, b) => a - b), 'in order');

  // The link dies and the panel cannot come back: after the will delay, the broker says offline.
  proxy.refuse();
  await monitor.until(() => monitor.json.some((r) => r.type === 'status' && r.status === 'offline'), 'the offline warning (the will)', 30_000);
  t.like(monitor.json.find((r) => r.type === 'status'), { panel: 'p1', status: 'offline', text: 'offline' });
  t.is(await monitor.stop(), 0, 'Ctrl-C (SIGTERM) ends watch with 0');
  t.deepEqual(monitor.err.filter((l) => !l.startsWith('monitor: watching')), [], 'nothing went wrong on the side');
});

test('watch (words): a panel silent for longer than --heartbeat is reported late; a message ends it, the next silence warns again', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const p = new LivePanel({ brokerPort: broker.port });
  t.teardown(() => p.close());
  await p.until(() => p.up, 'the panel to connect');
  const monitor = new MonitorProcess(['watch', '--broker', url, '--heartbeat', '1500ms', '--names', names()]);
  t.teardown(() => monitor.stop());
  await monitor.ready();
  const late = () => monitor.out.filter((l) => l.includes('! late'));
  await monitor.until(() => late().length === 1, 'the late warning');
  t.regex(late()[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}p1 {2}! late: no message for \d+(\.\d)? s$/);
  t.true(p.panel.keypad('bypass', p.masterCode, { zone: 1 }).ok);
  await monitor.until(() => late().length === 2, 'a second late warning after the next silence');
  const lines = monitor.out.map((l) => (l.includes('! late') ? 'late' : l.replace(/^.{19} {2}p1 #\d+ {2}/, '')));
  t.deepEqual(lines, ['late', 'Zone bypassed, zone 1 Front door by user 1 Owner', 'late'], 'late, the event (with local time), late again');
  t.regex(monitor.out[1], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}p1 #\d+ {2}Zone/);
});

test('two monitors in one $share group split 200+ events: none lost, none seen twice', async (t) => {
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const monitors = [0, 1].map(() => new MonitorProcess(['watch', '--json', '--share', 'station', '--broker', url]));
  t.teardown(() => Promise.all(monitors.map((m) => m.stop())));
  await Promise.all(monitors.map((m) => m.ready()));
  const p = new LivePanel({ brokerPort: broker.port });
  t.teardown(() => p.close());
  await p.until(() => p.up, 'the panel to connect');
  for (let i = 0; i < 110; i++) {
    t.true(p.panel.keypad('bypass', p.masterCode, { zone: 2 }).ok);
    t.true(p.panel.keypad('unbypass', p.masterCode, { zone: 2 }).ok);
  }
  const last = p.panel.status().lastSeq;
  t.true(last >= 221, `${last} events`);
  const seen = () => monitors.map((m) => m.events().map((e) => e.seq as number));
  await MonitorProcess.until(monitors, () => new Set(seen().flat()).size >= last, `all ${last} events`, 30_000);
  const [a, b] = seen();
  t.log(`monitor A: ${a.length} events, monitor B: ${b.length}`);
  t.deepEqual([...new Set([...a, ...b])].sort((x, y) => x - y), Array.from({ length: last }, (_, i) => i + 1), 'every event, none lost');
  t.is(a.length + b.length, last, 'none seen twice');
  t.true(a.length > 0 && b.length > 0, 'both took a share');
  await p.until(() => p.panel.status().outbox === 0, 'the outbox to drain');
});
