// monitor log: the event log exported by command in chunks that fit the broker's packets, joined,
// written and verified; a tampered export (valid CRCs, a changed event) is caught: exit 5.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../support/brokers.ts';
import { Subscriber } from '../uplink/subscriber.ts';
import { readRecords, encodeRecord, concat } from '../../src/store/record.ts';
import { verifyChain } from '../../src/store/event-log.ts';
import { LivePanel, keyFile, runMonitor } from './live.ts';

const MAX_PACKET = 1024;

test('log: chunks within the broker packet size, the export written and its chain verified; tampering exits 5', async (t) => {
  const broker = await Mosquitto.start({ maxPacketSize: MAX_PACKET });
  t.teardown(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const p = new LivePanel({ brokerPort: broker.port });
  t.teardown(() => p.close());
  await p.until(() => p.up && p.panel.status().uplink?.commands === 'subscribed', 'the panel to subscribe to commands');
  t.is(p.panel.status().uplink?.brokerMaxPacket, MAX_PACKET, 'mosquitto announced its maximum packet size');
  for (let i = 0; i < 60; i++) {
    p.panel.keypad('bypass', p.masterCode, { zone: 2 });
    p.panel.keypad('unbypass', p.masterCode, { zone: 2 });
  }
  await p.until(() => p.panel.status().outbox === 0, 'the events to leave');
  const wire = await Subscriber.connect(url, ['alarm/p1/log']);
  t.teardown(() => wire.close());

  const dir = mkdtempSync(path.join(tmpdir(), 'monitor-log-'));
  const out = path.join(dir, 'p1.log');
  const r = await runMonitor(['log', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(1), '--out', out]);
  t.is(r.code, 0, r.stderr);
  const exported = p.panel.exportLog();
  const [wrote, chain] = r.stdout.trim().split('\n');
  const chunks = Number(/\((\d+) chunks?\)/.exec(wrote)?.[1]);
  t.is(wrote, `Wrote ${exported.length} bytes (${chunks} chunks) from panel p1 to ${out}.`);
  t.true(chunks > exported.length / MAX_PACKET, `${exported.length} bytes took ${chunks} chunks`);
  t.regex(chain, /^Chain intact: 121 events, seq 1-121, head [0-9a-f]{32}\.$/);
  t.deepEqual(new Uint8Array(readFileSync(out)), exported, 'the file is the export, byte for byte');
  await wire.until(() => wire.messages.length >= chunks, 'the chunks on the wire');
  t.true(wire.messages.every((m) => !m.retain && m.payload.length + 'alarm/p1/log'.length + 30 <= MAX_PACKET), 'every chunk fits a packet');
  t.is(p.panel.status().uplink?.links, 1, 'the broker never had to drop the panel for an oversized packet');

  // Change one event (zone 2 → zone 3) and frame its record again: CRCs are fine, the chain is not.
  const { records } = readRecords(exported);
  const victim = records[40];
  const payload = new Uint8Array(victim.payload);
  const at = payload.lastIndexOf(0x07); // event key 7 (zone), followed by the zone number
  t.is(payload[at + 1], 2);
  payload[at + 1] = 3;
  const tampered = concat([exported.subarray(0, victim.start), encodeRecord(victim.type, payload), exported.subarray(victim.end)]);
  t.false(verifyChain(tampered).ok);
  const bad = path.join(dir, 'tampered.log');
  writeFileSync(bad, tampered);
  const check = await runMonitor(['log', '--verify', bad]);
  t.is(check.code, 5);
  t.is(check.stdout, 'Chain BROKEN at entry 39 (seq 40): entry 39 (seq 40) does not follow the chain. Entries from there on cannot be trusted.\n');

  const listed = await runMonitor(['log', '--verify', out, '--list']);
  t.is(listed.code, 0);
  const lines = listed.stdout.trim().split('\n');
  t.is(lines.length, 122, 'one line per event and the verdict');
  t.regex(lines[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}#1 {2}Panel restarted$/);
  t.regex(lines[1], /^.{19} {2}#2 {2}Zone bypassed, zone 2 by user 1$/);

  const refused = await runMonitor(['log', '--broker', url, '--panel', 'p1', '--keyfile', keyFile(3), '--out', path.join(dir, 'no.log')]);
  t.is(refused.code, 3);
  t.is(refused.stdout, 'Refused: log export: not_permitted: arm-only users may not export the log. Panel p1 is disarmed.\n');
});
