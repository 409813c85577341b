// The benchmark command keeps working: its XS, size and payload parts run at a tiny size and
// write a report of the right shape. Not a timed test: nothing here asserts how fast anything is.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, moddableLibs } from '../../tools/build.ts';
import type { Report } from '../../bench/report.ts';

const run = promisify(execFile);
const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** The parts every report has, whatever was run. */
function machineShape(t: import('ava').ExecutionContext, r: Report) {
  t.regex(r.machine.cpu, /\S/, 'CPU model');
  t.true(positive(r.machine.cores), 'cores');
  t.true(positive(r.machine.memory_gib), 'memory');
  t.regex(r.machine.node, /^v\d+/, 'Node version');
  t.regex(r.machine.xs, /^XS \d+\.\d+\.\d+/, 'XS version');
  t.regex(r.machine.mosquitto, /mosquitto version \d/, 'mosquitto version');
  t.false(Number.isNaN(Date.parse(r.machine.date)), 'date');
}

function deterministicShape(t: import('ava').ExecutionContext, r: Report) {
  const core = r.core!;
  t.true(positive(core.zones8.meanPerEvent) && positive(core.zones8.meanPerTick), 'core computrons per event and per tick');
  t.true(positive(core.zones8.heapSettingsAndState), 'core heap slots');

  for (const size of r.xs!.sizes) {
    t.true(positive(size.median.app) && positive(size.median.minimal), `${size.zones} zones: app and minimal computrons`);
    t.true(size.median.app > size.median.minimal, 'the app costs more than the hand-minimal path');
    for (const k of ['coreStep', 'encodeEvent', 'journalRecord', 'sha256', 'encodeState', 'stateDelta', 'encodePublish', 'handCbor', 'handPublish', 'puback', 'sirenApp', 'sirenMinimal']) {
      t.true(positive(size.median[k]), `${size.zones} zones: ${k}`);
    }
    t.true(size.alarm.every((a) => a.sameBytes), 'the minimal panel writes the very PUBLISH frame the app wrote');
    t.true(size.alarm.every((a) => a.packets.some((p) => p.topic?.endsWith('/event'))), 'each metered edge published its event');
    t.true(positive(size.heap.afterBoot) && size.heap.afterEvents >= size.heap.afterBoot, 'heap after boot and after events');
    t.true(size.heap.events >= 1, 'events were driven');
    const noble = r.xs!.noble.find((s) => s.zones === size.zones);
    t.true(!!noble && positive(noble.median.app) && positive(noble.median.sha256), `${size.zones} zones: the @noble/hashes build measured too`);
  }

  const { bundles, payloads, outbox } = r.sizes!;
  t.true(positive(bundles.firmware_entry.bytes) && positive(bundles.app.bytes) && positive(bundles.core_alone.bytes), 'bundle bytes');
  t.true(Object.values(bundles.app.by_source).every(positive), 'bundle bytes by source');
  t.deepEqual(Object.keys(bundles.moddable_libs).sort(), Object.keys(moddableLibs).sort());
  t.true(Object.values(bundles.moddable_libs).every(positive), 'library module bytes');
  t.true(payloads.events.length >= 5, 'several event kinds');
  for (const p of [...payloads.events, ...payloads.state]) {
    t.true(positive(p.cbor_bytes) && p.cbor_bytes < p.json_bytes, `${p.payload}: CBOR smaller than JSON`);
  }
  t.is(outbox.fills[0].entries, outbox.capacity, 'low-priority events fill the default capacity');
  const alarms = outbox.fills[1].entries;
  t.true(alarms > outbox.capacity && alarms <= outbox.hardCap, 'alarms fill past the capacity, up to the hard cap or the flash');
  t.true(outbox.fills.every((f) => (f.flash_bytes ?? 0) <= 512 * 1024), 'within 512 KB of flash');
  t.true(outbox.fills.every((f) => positive(f.file_bytes)), 'outbox bytes on flash');
}

test('bench/run.ts --quick: the XS, size and payload parts write a report of the right shape', async (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-'));
  await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'core,xs,sizes', '--out', out], { cwd: repoRoot });
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.parts, ['core', 'xs', 'sizes']);
  machineShape(t, report);
  deterministicShape(t, report);
  const md = readFileSync(path.join(out, 'report.md'), 'utf8');
  for (const heading of ['## Machine', '## XS: computrons per alarm event', '## XS: heap slots after gc', '## XS: the alarm core alone',
    '## Firmware bundle bytes', '## Payload bytes', '## Outbox capacity']) t.true(md.includes(heading), heading);
});

test('the committed report has every part, measured at full size', (t) => {
  const report = JSON.parse(readFileSync(path.join(repoRoot, 'bench/report.json'), 'utf8')) as Report;
  t.false(report.quick, 'not a quick run');
  t.deepEqual(report.parts, ['core', 'xs', 'sizes', 'moddable', 'uplink', 'outbox', 'fleet', 'fuzz']);
  machineShape(t, report);
  deterministicShape(t, report);
  t.deepEqual(report.xs!.sizes.map((s) => s.zones), [8, 32]);
  const o = report.outbox!;
  t.true(o.events >= 10_000, '10,000 events waiting');
  t.true(o.xs[0].flashBytes <= 512 * 1024, 'within 512 KB of flash');
  t.true(o.replay.every((r) => r.events >= 10_000 && positive(r.acked_per_s)), 'replayed whole');
  t.true(report.xs!.sizes.every((s) => s.heap.events >= 1000), '1,000 events');
  const l = report.uplink!.latency_loopback_mosquitto;
  for (const s of [l.panel.edge_to_subscriber, l.panel.event_to_subscriber, l.session, l.mqttjs_floor]) t.true(positive(s.p50_ms) && s.p99_ms >= s.p50_ms);
  const f = report.fleet!;
  t.true(f.panels >= 200 && f.monitors === 2, 'a fleet of at least 200 panels and two monitors');
  t.true(positive(f.delivery.p99_ms), 'fleet p99');
  t.is(Object.values(f.split).reduce((a, b) => a + b, 0), f.events + f.duplicated - f.lost, 'the split accounts for every arrival');
  t.true(readFileSync(path.join(repoRoot, 'bench/report.md'), 'utf8').includes('## Fleet'), 'the Markdown report has the fleet');
  const m = report.moddable!;
  t.is(m.skipped, undefined, 'the committed report measured the real runtime');
  t.deepEqual(m.rows.map((r) => [r.zones, r.events]), [[8, 0], [8, 1000], [32, 0], [32, 1000]]);
  t.true(m.rows.every((r) => positive(r.slots) && positive(r.chunkBytes)), 'slots and chunk bytes');
  const z = report.fuzz!;
  t.true(z.total_inputs >= 1_000_000, 'a million fuzz inputs');
  t.is(z.targets.reduce((a, x) => a + x.inputs, 0), z.total_inputs, 'the targets account for every input');
  t.deepEqual(z.targets.map((x) => x.target).sort(), ['cbor', 'commands', 'config', 'cose', 'packets', 'portal']);
  t.true(z.targets.every((x) => x.refusals + x.accepted === x.inputs && x.refusals > 0), 'each input refused or accepted; each target refused some');
  t.true(readFileSync(path.join(repoRoot, 'bench/report.md'), 'utf8').includes('## Fuzz'), 'the Markdown report has the fuzz part');
});
