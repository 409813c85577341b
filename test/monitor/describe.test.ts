// The monitor's words and bookkeeping, without a broker: every event code in words, names from
// the snapshot and the names file, de-duplication by (panel, seq), and the names file's errors.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ContactId, type PanelEvent } from '../../src/core/events.ts';
import { encodeEvent, encodeState, encodeStatus } from '../../src/uplink/payloads.ts';
import { eventText, loadNames, localTime, namer, noNames } from '../../tools/monitor/describe.ts';
import { Watcher } from '../../tools/monitor/watch.ts';
import { CliError } from '../../tools/monitor/cli.ts';
import { nextCounter } from '../../tools/monitor/command.ts';

const ev = (code: PanelEvent['code'], q: 1 | 3, extra: Partial<PanelEvent> = {}): PanelEvent => ({ seq: 1, boot: 1, uptime: 5, code, q, ...extra });
const names = namer({ users: { 1: 'Owner' }, zones: {}, panels: {} }, 'p1', new Map([[1, 'Front door']]));

test('every event code reads as words', (t) => {
  t.is(eventText(ev(ContactId.burglary, 1, { zone: 1 }), names), 'Burglary alarm, zone 1 Front door');
  t.is(eventText(ev(ContactId.burglary, 3, { zone: 2 }), names), 'Burglary restore, zone 2');
  t.is(eventText(ev(ContactId.openClose, 1, { user: 1 }), names), 'Disarmed by user 1 Owner');
  t.is(eventText(ev(ContactId.openClose, 3, { user: 2 }), names), 'Armed away by user 2');
  t.is(eventText(ev(ContactId.armedStay, 3, { user: 1 }), names), 'Armed home/night by user 1 Owner');
  t.is(eventText(ev(ContactId.duress, 1, { user: 1 }), names), 'Duress, user 1 Owner');
  t.is(eventText(ev(ContactId.bypass, 1, { zone: 1, user: 1 }), names), 'Zone bypassed, zone 1 Front door by user 1 Owner');
  t.is(eventText(ev(ContactId.testReport, 1), names), 'Periodic test report');
  t.is(eventText(ev(ContactId.testReport, 1, { user: 1 }), names), 'Test report by user 1 Owner');
  t.is(eventText(ev(ContactId.lockout, 1), names), 'Wrong-code lockout');
  t.is(eventText(ev(ContactId.lockout, 3), names), 'Lockout ended');
  for (const code of Object.values(ContactId)) {
    for (const q of [1, 3] as const) t.notRegex(eventText(ev(code, q), names), /^Event \d+/, `${code}/${q} has words`);
  }
  t.is(localTime(undefined), 'clock not set');
  t.regex(localTime(1_790_000_000), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
});

test('names: the snapshot names zones; the names file names users, per panel first', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'names-'));
  const file = path.join(dir, 'n.json');
  writeFileSync(file, JSON.stringify({ users: { 1: 'Owner' }, zones: { 5: 'Garage' }, panels: { p2: { users: { 1: 'Shop owner' } } } }));
  const n = loadNames(file);
  t.is(namer(n, 'p1', new Map([[5, 'Shed']])).zone(5), 'Shed', 'the snapshot wins');
  t.is(namer(n, 'p1', undefined).zone(5), 'Garage');
  t.is(namer(n, 'p2', undefined).user(1), 'Shop owner');
  t.is(namer(n, 'p1', undefined).user(1), 'Owner');
  writeFileSync(file, '{"users": {"one": "Owner"}}');
  t.throws(() => loadNames(file), { instanceOf: CliError, message: 'names file: users.one must be a name, keyed by a number 1-999' });
  writeFileSync(file, '{nope');
  t.throws(() => loadNames(file), { instanceOf: CliError, message: /is not JSON/ });
  t.throws(() => loadNames(path.join(dir, 'missing.json')), { instanceOf: CliError, message: /cannot read the names file .*ENOENT/ });
});

test('the watcher de-duplicates by (panel, seq), keeps panels apart, and reports a status change', (t) => {
  const out: string[] = [];
  const errs: string[] = [];
  const w = new Watcher({ json: true, heartbeatMs: 3_600_000, names: noNames }, { out: (l) => out.push(l), err: (l) => errs.push(l) }, 'alarm');
  t.teardown(() => w.stop());
  w.message('alarm/p1/state', encodeState({ mode: 'disarmed', zones: [{ zone: 1, name: 'Front door' }] }));
  w.message('alarm/p1/status', encodeStatus('online'));
  const burglary = encodeEvent(ev(ContactId.burglary, 1, { seq: 7, zone: 1, time: 1_790_000_000 }));
  w.message('alarm/p1/event', burglary);
  w.message('alarm/p1/event', burglary); // a DUP
  w.message('alarm/p2/event', burglary); // another panel, same seq
  w.message('alarm/p1/event', new Uint8Array([0xff]));
  w.message('alarm/p1/status', encodeStatus('offline'));
  w.message('other/p1/event', burglary);
  const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(lines.map((l) => [l.type, l.panel, l.seq ?? l.status]), [['event', 'p1', 7], ['event', 'p2', 7], ['status', 'p1', 'offline']]);
  t.like(lines[0], { zoneName: 'Front door', text: 'Burglary alarm, zone 1 Front door' });
  t.is(lines[1].zoneName, undefined, "p2's zones are its own");
  t.is(errs.length, 1);
  t.regex(errs[0], /^monitor: p1: cannot read its event: event: malformed CBOR/, 'a bad event is named on stderr, and watching goes on');
});

test('command counters keep rising across calls (wall clock in ms × 1000, plus 0-999)', (t) => {
  const a = nextCounter(1_790_000_000_000);
  const b = nextCounter(1_790_000_000_001);
  t.true(b > a);
  t.true(Number.isSafeInteger(nextCounter(Date.UTC(2255, 0, 1))), 'below 2^53 for two centuries');
});
