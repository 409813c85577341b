// The benchmark report: every part measured in one run, each figure beside its comparison,
// as JSON (for tools) and Markdown (for people). bench/run.ts is the command.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { coreBench, type CoreReport } from './core.ts';
import { xsPanelBench } from './xs-panel.ts';
import { mqttCostBench, type MqttProbe } from './mqtt-cost.ts';
import { bundleSizes, outboxCapacity, payloadBytes } from './sizes.ts';
import { uplinkBench } from './uplink.ts';
import { outboxBench } from './outbox.ts';
import { fleetBench, type FleetReport } from './fleet.ts';
import { machine, type Machine } from './machine.ts';
import { moddableBench, type ModdableReport } from './moddable.ts';
import { fuzzBench, FUZZ_SPLIT, type FuzzReport } from './fuzz.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../tools/build.ts';

export const parts = ['core', 'xs', 'sizes', 'moddable', 'uplink', 'outbox', 'fleet', 'fuzz'] as const;
export type Part = (typeof parts)[number];

export interface RunOptions {
  parts?: Part[];
  /** Tiny sizes everywhere: proves the code runs (the smoke test), measures nothing worth keeping. */
  quick?: boolean;
  fleet?: number;
  fleetSeconds?: number;
  /** Inputs of the fuzz part, split across its targets (default 1,000,000). */
  fuzz?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface Report {
  command: string;
  machine: Machine;
  quick: boolean;
  parts: Part[];
  seconds: Partial<Record<Part, number>> & { total?: number };
  /** 1-minute load average when the run ended (the machine's, at start, is in `machine`). */
  load_average_end?: number;
  core?: CoreReport;
  xs?: Awaited<ReturnType<typeof xsPanelBench>> & { mqtt?: Awaited<ReturnType<typeof mqttCostBench>> };
  sizes?: { bundles: Awaited<ReturnType<typeof bundleSizes>>; payloads: ReturnType<typeof payloadBytes>; outbox: ReturnType<typeof outboxCapacity> };
  uplink?: Awaited<ReturnType<typeof uplinkBench>>;
  outbox?: Awaited<ReturnType<typeof outboxBench>>;
  fleet?: FleetReport;
  moddable?: ModdableReport;
  fuzz?: FuzzReport;
  /** Parts re-measured later and merged into this report (`--merge`), newest last. */
  remeasured?: Array<{ parts: Part[]; date: string; load_average: number; command: string }>;
}

/** `base` with the parts of `fresh` put in; the rest of `base` (machine, other parts) stays, and the report says so. */
export function merge(base: Report, fresh: Report): Report {
  const out: Report = { ...base, remeasured: [...(base.remeasured ?? [])] };
  const record = out as unknown as Record<string, unknown>;
  for (const part of fresh.parts) {
    record[part] = (fresh as unknown as Record<string, unknown>)[part];
    out.seconds[part] = fresh.seconds[part];
  }
  out.parts = parts.filter((p) => base.parts.includes(p) || fresh.parts.includes(p));
  out.remeasured!.push({ parts: fresh.parts, date: fresh.machine.date, load_average: fresh.machine.load_average, command: `${fresh.command} --only ${fresh.parts.join(',')} --merge` });
  return out;
}

export async function collect(options: RunOptions = {}): Promise<Report> {
  const chosen = options.parts ?? [...parts];
  const quick = options.quick ?? false;
  const log = options.log ?? (() => {});
  const report: Report = {
    command: `node --import tsx bench/run.ts${options.fleet ? ` --fleet ${options.fleet}` : ''}${options.fuzz ? ` --fuzz ${options.fuzz}` : ''}${quick ? ' --quick' : ''}`,
    machine: machine(), quick, parts: chosen, seconds: {},
  };
  const began = performance.now();
  const timed = async <T>(part: Part, run: () => Promise<T>): Promise<T | undefined> => {
    if (!chosen.includes(part)) return undefined;
    log(`${part}…`);
    const start = performance.now();
    const value = await run();
    report.seconds[part] = Math.round((performance.now() - start) / 100) / 10;
    log(`${part}: ${report.seconds[part]} s`);
    return value;
  };
  // The XS parts first: xsnap's SES lockdown comes after every esbuild bundle they make.
  report.core = await timed('core', () => coreBench(quick ? [8] : [8, 32]));
  report.xs = await timed('xs', async () => ({ ...await xsPanelBench(quick ? { zones: [8], events: 20, repeats: 1 } : {}), mqtt: await mqttCostBench() }));
  report.sizes = await timed('sizes', async () => ({ bundles: await bundleSizes(), payloads: payloadBytes(), outbox: outboxCapacity() }));
  const creation = JSON.parse(readFileSync(path.join(repoRoot, 'manifest.json'), 'utf8')).creation;
  report.moddable = await timed('moddable', () => moddableBench(quick ? { zones: [8], events: 20, creation } : { creation }));
  report.uplink = await timed('uplink', () => uplinkBench(quick ? { panelCycles: 5, perCycle: 2, replayEvents: 100 } : {}));
  report.outbox = await timed('outbox', () => outboxBench(quick ? { events: 300 } : {}));
  report.fleet = await timed('fleet', () => fleetBench({ panels: options.fleet ?? (quick ? 10 : 200), seconds: options.fleetSeconds ?? (quick ? 3 : 20) }));
  report.fuzz = await timed('fuzz', async () => fuzzBench({ inputs: options.fuzz ?? (quick ? 600 : 1_000_000), log }));
  report.seconds.total = Math.round((performance.now() - began) / 100) / 10;
  report.load_average_end = Math.round(os.loadavg()[0] * 100) / 100;
  return report;
}

// ---- Markdown -------------------------------------------------------------------------------

/** 1,234,567 */
const int = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const times = (a: number, b: number) => `${(a / b).toFixed(a / b < 10 ? 1 : 0)}×`;
/** A Markdown table; columns of figures are right-aligned. */
function table(head: string[], rows: Array<Array<string | number>>): string {
  const figures = head.map((_, i) => i > 0 && rows.every((r) => /^[\d,.×—-]+$/.test(String(r[i]))));
  return [
    `| ${head.join(' | ')} |`,
    `|${figures.map((f) => (f ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function markdown(r: Report): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('# Benchmark report', '');
  out.push(`Written by \`${r.command}\` in ${r.seconds.total} s${r.quick ? ' (quick mode: tiny sizes, not figures to keep)' : ''}.`);
  out.push('Every figure below was measured in this one run, beside what it is compared with. Computrons, heap slots and bytes are exact');
  out.push('and repeatable (XS meters work deterministically); wall times are as measured, with their sample counts, on a machine');
  out.push('that other work shares (see the load average).', '');
  for (const m2 of r.remeasured ?? []) {
    out.push(`**Re-measured** on ${m2.date} with \`${m2.command}\`: ${m2.parts.join(', ')} (load average ${m2.load_average} then). The other sections are from the run above.`, '');
  }
  out.push('## Machine', '');
  out.push(table(['', ''], [
    ['date', m.date], ['CPU', `${m.cpu}, ${m.cores} cores`], ['memory', `${m.memory_gib} GiB`], ['OS', m.os], ['Node', m.node],
    ['XS', m.xs], ['broker', m.mosquitto],
    ['load average (1 min), start → end', `${m.load_average} → ${r.load_average_end ?? '?'} (${m.cores} cores, shared with other work)`],
  ]), '');

  if (r.xs) {
    const sizes = r.xs.sizes;
    const col = sizes.map((s) => `${s.zones} zones`);
    const md = (k: string) => sizes.map((s) => int(s.median[k]));
    out.push('## XS: computrons per alarm event, door pin edge → PUBLISH bytes', '');
    out.push('An armed panel (`SimHost` + `Panel`, MQTT 5 up) inside xsnap-worker; an instant door zone opens. Metered from the pin');
    out.push('edge through the 50 ms debounce, the core, the journal (log + outbox), the state snapshot, to the bytes of the state and');
    out.push('event PUBLISH packets handed to the transport. The in-memory broker is not counted (during the metered call the bytes are');
    out.push('only kept, as given, as the Moddable transport queues them for the socket). The comparison is a hand-minimal panel (`bench/minimal.ts`): pin table → one decision → CBOR written by');
    out.push('hand → MQTT 5 PUBLISH frame written by hand, no libraries, metered the same way.', '');
    out.push('Two builds of the same harness, differing in `src/hash` (SHA-256 of the event log\'s hash chain, HMAC of codes and MACs)');
    out.push('only. **Firmware hash**: the file the Moddable manifest maps `src/hash` to (`hosts/moddable/src/hash.ts`), over bench');
    out.push('stand-ins for Moddable\'s `crypt` and `hmac` (`bench/shims/`): each native `Digest` method is one xsnap host call');
    out.push('(`issueCommand`) that Node answers with node:crypto, as the ESP32\'s SHA hardware takes the rounds off the XS engine;');
    out.push('the computrons count the calls and their arguments, and HMAC is JS over that Digest as Moddable\'s `hmac` module is.');
    out.push('**@noble/hashes**: `src/hash.ts`, SHA-256 rounds in JS, what the Node and xsnap builds run. Both builds give the same');
    out.push('hashes on `bench/hash-vectors.ts` (checked in each worker before measuring). Every other row is the firmware hash build.');
    out.push('The rows with the uplink key are the same alarm on a panel whose config has one (as the portal sets it): the state and');
    out.push('the event each leave in a COSE_Mac0; in sealed mode in a COSE_Encrypt0 (median of three alarms on a fresh panel). The');
    out.push('firmware build maps `src/aead` as the manifest does (`hosts/moddable/src/aead.ts`): the ChaCha20 keystream is `crypt`\'s');
    out.push('native StreamCipher, here one host call answered by node:crypto, and Poly1305 runs in JS (@noble/ciphers).', '');
    const same = sizes.every((s) => s.alarm.every((a) => a.sameBytes));
    const noble = r.xs.noble;
    const nd = (k: string) => (noble ? noble.map((s) => int(s.median[k])) : sizes.map(() => '—'));
    const keyedRow = (n: number) => r.xs!.authenticated?.find((a) => a.zones === n);
    const authenticated = (k: 'keyed' | 'sealed') => sizes.map((s) => { const a = keyedRow(s.zones); return a ? int(a[k]) : '—'; });
    const authenticatedTimes = (k: 'keyed' | 'sealed') => sizes.map((s) => { const a = keyedRow(s.zones); return a ? times(a[k], s.median.minimal) : '—'; });
    out.push(table(['computrons', ...col], [
      ['**whole app, firmware hash** (native Digest as a host call): edge → state + event PUBLISH', ...md('app')],
      ['whole app, @noble/hashes in JS (xsnap/Node builds)', ...nd('app')],
      [`hand-minimal: edge → event PUBLISH (frame byte-identical to the app's: **${same ? 'yes' : 'NO'}**)`, ...md('minimal')],
      ['app ÷ minimal, firmware hash', ...sizes.map((s) => times(s.median.app, s.median.minimal))],
      ['app ÷ minimal, @noble/hashes', ...(noble ? noble.map((s) => times(s.median.app, s.median.minimal)) : sizes.map(() => '—'))],
      ['whole app **with the uplink key** (every message a COSE_Mac0, HMAC 256/64), firmware hash', ...authenticated('keyed')],
      ['   ÷ minimal (which authenticates nothing)', ...authenticatedTimes('keyed')],
      ['whole app in **sealed mode** (COSE_Encrypt0: the firmware\'s ChaCha20 native, its Poly1305 in JS)', ...authenticated('sealed')],
      ['the app less its state snapshot (app − `StateEncoder` below)', ...sizes.map((s) => int(s.median.app - s.median.stateDelta))],
      ['that ÷ minimal', ...sizes.map((s) => times(s.median.app - s.median.stateDelta, s.median.minimal))],
      ['— of which: the core\'s step (decision)', ...md('coreStep')],
      ['— the event to CBOR: `encodeEvent` (cbor-x + checks)', ...md('encodeEvent')],
      ['   against the event to CBOR by hand', ...md('handCbor')],
      ['— the event PUBLISH frame: mqtt-packet', ...md('encodePublish')],
      ['   against the PUBLISH frame by hand', ...md('handPublish')],
      ['— journal `record` (log append + SHA-256 chain link + outbox push), firmware hash', ...md('journalRecord')],
      ['   the same, @noble/hashes', ...nd('journalRecord')],
      ['   its SHA-256 alone (the chain link\'s input), firmware hash', ...md('sha256')],
      ['   the same, @noble/hashes', ...nd('sha256')],
      ['— the state snapshot to CBOR: the panel\'s `StateEncoder` (snapshot + what changed since the last; an encoder that met the earlier alarms)', ...md('stateDelta')],
      ['   against the whole snapshot encoded again (`encodeState`, as every event paid before)', ...md('encodeState')],
      ['after it: the PUBACK read, the event acked out of the outbox', ...md('puback')],
      ['mixed drive: computrons per event over the heap run (arm, alarm, disarm; codes hashed)', ...sizes.map((s) => int(s.mixedComputronsPerEvent))],
      ['   the same, @noble/hashes', ...(noble ? noble.map((s) => int(s.mixedComputronsPerEvent)) : sizes.map(() => '—'))],
    ]), '');
    const a = sizes[0].alarm[0];
    const stateBytes = (s: typeof sizes[number]) => s.alarm[0].packets.find((p) => p.topic?.endsWith('/state'))?.bytes;
    out.push(`Packets of one metered edge (${sizes[0].zones} zones): ${a.packets.map((p) => `${p.topic} ${p.bytes} B`).join(', ')}; the event payload is ${a.eventPayloadBytes} B of CBOR.`);
    out.push(`The retained state PUBLISH is ${sizes.map((s) => `${int(stateBytes(s) ?? 0)} B at ${s.zones} zones`).join(', ')}: every zone is in it, and XS counts about 2 computrons per byte copied.`);
    out.push(`Runs: ${r.xs.repeats} metered alarms per size (disarm and re-arm between, unmetered); app figures (firmware hash) ranged ${sizes.map((s) => `${int(Math.min(...s.alarm.map((x) => x.app)))}–${int(Math.max(...s.alarm.map((x) => x.app)))}`).join(' and ')}`);
    out.push('(the first alarm after boot differs slightly from later ones); the table shows medians. Each part is metered alone on the same');
    out.push('event; what the parts do not add up to is the drivers, the debounce, the session and the state PUBLISH.', '');

    const q = r.xs.mqtt;
    if (q) {
      out.push('## XS: one event PUBLISH through mqtt-packet, and its pieces (bench/mqtt-cost.ts)', '');
      out.push('The bench panel\'s event PUBLISH (topic `alarm/bench/event`, 28 B payload, QoS 1, MQTT 5 with its content type) and');
      out.push('other packets, metered alone in xsnap, in two builds of the same code: mqtt-packet and bl on the `buffer` package (what the');
      out.push('firmware bundled before) and on the firmware\'s own Buffer (`tools/shims/buffer.ts`: a Uint8Array with the methods they call).');
      out.push('`encodePacket` (src/uplink/packets.ts, what the panel calls) writes through `writeToStream` straight into one buffer of the');
      out.push('packet\'s size; `generate()` collects the pieces and copies them together.', '');
      const row = (label: string, k: MqttProbe): Array<string | number> => [label, int(q.package[k]), int(q.lean[k]), times(q.package[k], q.lean[k])];
      const hand = sizes[0].median.handPublish;
      out.push(table(['computrons', '`buffer` package', 'firmware Buffer', 'package ÷ firmware'], [
        row('**event PUBLISH, MQTT 5: `encodePacket`** (the panel\'s path now)', 'encode5'),
        row('event PUBLISH, MQTT 5: `generate()` (the panel\'s path before)', 'generate5'),
        row('— `writeToStream` into a stream that only keeps the pieces', 'stream5'),
        row('event PUBLISH, MQTT 3.1.1: `encodePacket`', 'encode4'),
        row('event PUBLISH, MQTT 3.1.1: `generate()`', 'generate4'),
        row('CONNECT (MQTT 5, will, password): `encodePacket`', 'encodeConnect'),
        row('CONNECT: `generate()`', 'generateConnect'),
        row('SUBSCRIBE (MQTT 5, one topic): `encodePacket`', 'encodeSubscribe'),
        row('SUBSCRIBE: `generate()`', 'generateSubscribe'),
        row('`Buffer.byteLength(topic)` (17 characters)', 'byteLength'),
        row('`buf.write(topic, 3)`', 'write'),
        row('`Buffer.from([3])` (mqtt-packet makes one per flag or property id)', 'fromArray'),
        row('`Buffer.from(arrayBuffer, offset, length)` (a payload)', 'fromView'),
        row('`Buffer.allocUnsafe(2)` (every 16-bit number)', 'allocUnsafe'),
        row('`buf.writeUInt8(5, 0)`', 'writeUInt8'),
        row('`payload.copy(target, 10)` (generate\'s concatenation)', 'copy'),
      ]), '');
      out.push(`Two bytes, made three ways (the same in both builds): \`new Uint8Array(2)\` ${int(q.lean.uint8Array)}, given Buffer's prototype`);
      out.push(`(\`Object.setPrototypeOf\`, as both Buffers make theirs) ${int(q.lean.withPrototype)}, through a class derived from Uint8Array ${int(q.lean.derived)}.`, '');
      out.push(`Against the PUBLISH frame by hand (${int(hand)}, above): \`encodePacket\` with the firmware's Buffer is ${times(q.lean.encode5, hand)}, \`generate()\` with the package was ${times(q.package.generate5, hand)}.`, '');
    }

    out.push('## XS: computrons, door pin edge → siren pin write', '');
    out.push('The same metered edge as above, read at the moment the siren pin is first driven on (xsnap\'s meter read from inside the');
    out.push('call): the pin edge, the host\'s service loop through the 50 ms debounce, the drivers, the core\'s decision, the siren');
    out.push('driver. The siren comes before any event of that input is encoded, logged or sent. The comparison is written by hand on');
    out.push('the same simulated pins: the edge handler reads the level, looks the zone up, decides, writes the siren pin (no debounce);');
    out.push('and again with the 50 ms debounce a panel must have (a glitch shorter than it must not sound the siren): the edge handler');
    out.push('notes the time, the timer 50 ms later (called by hand) reads the level, decides, writes. The app\'s path since this round:');
    out.push('the edge only tells the host\'s timer when its debounce ends (no service round); the round at that time polls the inputs');
    out.push('with something due; the zone opening asks the core\'s own rule (`opensToSiren`) and plays the siren before the core\'s step.', '');
    out.push(table(['computrons', ...col], [
      ['**whole app**: edge → siren pin on', ...md('sirenApp')],
      ['hand-minimal: edge → decision → siren pin on', ...md('sirenMinimal')],
      ['app ÷ minimal', ...sizes.map((s) => times(s.median.sirenApp, s.median.sirenMinimal))],
      ['hand-minimal with the 50 ms debounce: edge (time noted) → timer → decision → siren pin on', ...md('sirenDebounced')],
      ['app ÷ debounced minimal', ...sizes.map((s) => times(s.median.sirenApp, s.median.sirenDebounced))],
      ['the core\'s step alone (above), ÷ minimal', ...sizes.map((s) => times(s.median.coreStep, s.median.sirenMinimal))],
    ]), '');

    out.push('## XS: heap slots after gc, whole app', '');
    out.push(`Slots in use after \`gc()\`, relative to the realm with the code loaded (on an ESP32 the code sits in flash, not in`);
    out.push(`the heap). The in-memory broker's and the board's test records are cleared before each reading; the simulated flash`);
    out.push(`(MemoryStorage) stays in the realm, held in chunks rather than slots. The firmware hash build (above).`, '');
    const heapRows: Array<Array<string | number>> = [
      ['empty realm (absolute)', ...sizes.map((s) => int(s.heap.emptyRealm))],
      ['code loaded (app + libraries + harness)', ...sizes.map((s) => int(s.heap.codeLoaded))],
      ['**after boot** (panel open, MQTT up)', ...sizes.map((s) => int(s.heap.afterBoot))],
      [`**after ${int(sizes[0].heap.events)} events** (all acknowledged)`, ...sizes.map((s) => int(s.heap.afterEvents))],
      ['growth over those events', ...sizes.map((s) => int(s.heap.afterEvents - s.heap.afterBoot))],
    ];
    if (r.core) heapRows.push(['the core alone: settings + state (bench/core.ts)', ...sizes.map((s) => (r.core![`zones${s.zones}`] ? int(r.core![`zones${s.zones}`].heapSettingsAndState) : '—'))]);
    heapRows.push(['simulated flash after the run, bytes', ...sizes.map((s) => int(s.heap.storageBytesAfterEvents))]);
    out.push(table(['heap slots', ...col], heapRows), '');
  }

  if (r.core) {
    const sizes = (Object.keys(r.core).filter((k) => /^zones\d+$/.test(k)) as Array<`zones${number}`>).map((k) => [k.slice(5), r.core![k]] as const);
    out.push('## XS: the alarm core alone (bench/core.ts)', '');
    out.push('`step()` per input, metered alone: computrons of each call minus the same call text to a no-op.', '');
    out.push(table(['computrons per call', ...sizes.map(([n]) => `${n} zones`)], [
      ...sizes[0][1].rows.map((row, i) => [row.label, ...sizes.map(([, s]) => int(s.rows[i].computrons))]),
      ['**mean per input event**', ...sizes.map(([, s]) => int(s.meanPerEvent))],
      ['**mean per tick**', ...sizes.map(([, s]) => int(s.meanPerTick))],
      ['heap slots after gc: settings + state', ...sizes.map(([, s]) => int(s.heapSettingsAndState))],
      ['heap slots after gc: after 680 more calls', ...sizes.map(([, s]) => int(s.heapAfter680Calls))],
    ]), '');
  }

  if (r.sizes) {
    const b = r.sizes.bundles;
    out.push('## Firmware bundle bytes (esbuild, minified)', '');
    out.push(`\`firmware()\` bundles \`${b.firmware_entry.entry}\` (${b.firmware_entry.note}); the app row bundles`);
    out.push('`Panel` + config alone, the same way, to split its bytes by source.', '');
    out.push(table(['bundle', 'bytes'], [
      [`\`firmware()\`: ${b.firmware_entry.entry}`, int(b.firmware_entry.bytes)],
      [`**the app**: ${b.app.entry}`, int(b.app.bytes)],
      ...Object.entries(b.app.by_source).map(([k, v]) => [`— of which ${k}`, int(v)]),
      [`the core alone: ${b.core_alone.entry}`, int(b.core_alone.bytes)],
      ...Object.entries(b.moddable_libs).map(([k, v]) => [`library module \`${k}\` (buildModdableLibs)`, int(v)]),
    ]), '');
    const p = r.sizes.payloads;
    out.push('## Payload bytes: CBOR against the same data as JSON', '');
    out.push('Events of each kind from a simulated panel that has been up a day (the log\'s own records); JSON carries the same');
    out.push('fields under their names (`{"v":1,"seq":…}`).', '');
    out.push(table(['payload', 'CBOR', 'JSON', 'CBOR ÷ JSON'], [...p.events, ...p.state].map((x) => [x.payload, x.cbor_bytes, x.json_bytes, x.ratio.toFixed(2)])), '');
    const o = r.sizes.outbox;
    out.push('## Outbox capacity (the default outbox, as `Panel.open` makes it)', '');
    out.push(`${o.capacity} entries before low-priority events are dropped (oldest first), up to ${o.hardCap} when every entry is an alarm.`, '');
    if (o.fills.every((f) => f.flash_bytes !== undefined)) {
      out.push(table(['filled with', 'entries held', 'bytes in its files', 'per entry', 'files', 'flash (4 KB blocks)', 'the next push'], o.fills.map((f) => [f.kind, f.entries, int(f.file_bytes), f.bytes_per_entry, f.files ?? '—', int(f.flash_bytes ?? 0), f.next])), '');
    } else {
      out.push(table(['filled with', 'entries held', 'bytes on flash', 'per entry', 'the next push'], o.fills.map((f) => [f.kind, f.entries, int(f.file_bytes), f.bytes_per_entry, f.next])), '');
    }
  }

  if (r.uplink) {
    const l = r.uplink.latency_loopback_mosquitto;
    out.push('## Latency to a subscriber, loopback mosquitto', '');
    out.push('One event at a time, MQTT 5, QoS 1; the subscriber is MQTT.js in the same process (one clock). The panel is a whole');
    out.push('`Panel` on the Node host (simulated board, flash in memory, real TCP) going through alarm → disarm → arm cycles. The three');
    out.push('paths run side by side on one broker, interleaved (a panel cycle, then a few samples of each other path), so that the');
    out.push('machine\'s other work falls on all three alike. "Event recorded" is the moment the panel has the event in its log and');
    out.push('outbox; the rest of that input (state saved, snapshot encoded) and the next `service()` come before the PUBLISH.', '');
    out.push(table(['path', 'samples', 'p50 ms', 'p99 ms', 'max ms'], [
      [`**whole panel: door pin edge → subscriber** (includes the ${l.panel.debounce_ms} ms debounce)`, l.panel.edge_to_subscriber.samples, ms(l.panel.edge_to_subscriber.p50_ms), ms(l.panel.edge_to_subscriber.p99_ms), ms(l.panel.edge_to_subscriber.max_ms)],
      ['**whole panel: event recorded → subscriber** (alarms, openings, closings)', l.panel.event_to_subscriber.samples, ms(l.panel.event_to_subscriber.p50_ms), ms(l.panel.event_to_subscriber.p99_ms), ms(l.panel.event_to_subscriber.max_ms)],
      ['the session alone: outbox → subscriber', l.session.samples, ms(l.session.p50_ms), ms(l.session.p99_ms), ms(l.session.max_ms)],
      ['floor: MQTT.js publishes the same bytes → subscriber', l.mqttjs_floor.samples, ms(l.mqttjs_floor.p50_ms), ms(l.mqttjs_floor.p99_ms), ms(l.mqttjs_floor.max_ms)],
    ]), '');
    const rp = r.uplink.replay_after_reconnect;
    out.push('## Replay after a reconnect', '');
    out.push('Events queued while mosquitto was stopped; timed from the reconnect to the last PUBACK (acked) and to the last');
    out.push('arrival at a subscriber whose session survived the restart (received).', '');
    out.push(table(['', 'events', 'acked / s', 'received / s'], [
      [`**whole panel, ${rp.panel_full_outbox.events} events queued** (window 8; outbox files ${int(rp.panel_full_outbox.outbox_file_bytes)} B; reconnect ${int(rp.panel_full_outbox.reconnect_ms)} ms after the restart, as the backoff fell)`, rp.panel_full_outbox.events, int(rp.panel_full_outbox.acked_per_s), int(rp.panel_full_outbox.received_per_s)],
      ...rp.session.map((x) => [`the session alone, memory outbox, window ${x.window}`, x.events, int(x.acked_per_s), int(x.received_per_s)]),
    ]), '');
  }

  if (r.outbox) {
    const o = r.outbox;
    const [seg, before] = o.xs;
    out.push(`## Outbox through a long outage: ${int(o.events)} events waiting`, '');
    out.push('Inside XS (xsnap-worker), one outbox over a simulated flash (`MemoryStorage`), driven call by call');
    out.push('(`bench/outbox-harness.ts`; 27-byte payloads, an alarm every tenth). **Segments** is the outbox of issue 13 (4 KB');
    out.push('segment files, a cursor file, payloads read back on `peek`); **before** is the outbox it replaced (one file, every');
    out.push('payload in RAM: `bench/legacy/outbox-v1.ts`, capacity raised to hold as many). Heap slots are read after a gc, less');
    out.push('the same realm with the outbox let go and the simulated flash kept (on the device that is flash, not heap).', '');
    out.push(table(['', 'segments', 'before'], [
      ['heap slots, outbox empty', int(seg.outboxSlots.waiting0), int(before.outboxSlots.waiting0)],
      ['heap slots, 1,000 waiting', int(seg.outboxSlots.waiting1000), int(before.outboxSlots.waiting1000)],
      [`heap slots, ${int(o.events)} waiting`, int(seg.outboxSlots.waiting10000), int(before.outboxSlots.waiting10000)],
      [`heap slots, ${int(o.events)} waiting, after a reopen`, int(seg.outboxSlots.reopened10000), int(before.outboxSlots.reopened10000)],
      ['flash, bytes in 4 KB blocks', int(seg.flashBytes), int(before.flashBytes)],
      [`computrons: open (recovery) with ${int(o.events)} waiting`, int(seg.computrons.open10000), int(before.computrons.open10000)],
      ['computrons: push one', int(seg.computrons.push), int(before.computrons.push)],
      ['computrons: the first peek(32) after the open (its segment read from flash)', int(seg.computrons.peekCold), int(before.computrons.peekCold)],
      ['computrons: peek(32) again', int(seg.computrons.peek32), int(before.computrons.peek32)],
      ['computrons: ack one (mean of 8)', int(seg.computrons.ack), int(before.computrons.ack)],
    ]), '');
    out.push('Replay on loopback mosquitto (MQTT 5, QoS 1): the outbox holds the events when the uplink connects; timed from its');
    out.push('CONNACK to the outbox empty. "Whole panel": `Panel` on the Node host (`bench/node-panel.ts`) booted over that flash, its');
    out.push('default uplink (window 8). "Session": the uplink session alone over a `PersistentOutbox`. Flash "memory" is');
    out.push('`MemoryStorage`; "files" is `FileStorage` (each append fsynced), closer to a flash where every append is a block program.', '');
    out.push(table(['', 'events', 'boot ms', 'replay ms', 'acked / s'], [
      ...o.replay.map((x) => [`**whole panel**, flash ${x.flash} (${int(x.flash_bytes)} B of blocks)`, int(x.events), int(x.boot_ms), int(x.replay_ms), int(x.acked_per_s)]),
      ...o.session.map((x) => [`session alone, flash ${x.flash}, window ${x.window}, acks written ${x.ack_batch === 1 ? 'one by one' : `${x.ack_batch} at a time`}`, int(x.events), '—', int(x.replay_ms), int(x.acked_per_s)]),
    ]), '');
  }

  if (r.fleet) {
    const f = r.fleet;
    out.push(`## Fleet: ${int(f.panels)} panels, one mosquitto, ${f.monitors} monitors in a \`$share\` group`, '');
    out.push(`${int(f.panels)} whole \`Panel\`s in one Node process, each with its own TCP connection, journal and outbox, each stepping`);
    out.push(`through arm → door opens (alarm) → door closes → disarm, one step every ${int(f.step_ms)} ms (the fleet's rate stays near`);
    out.push(`the same at any size: a bigger fleet adds connections). Two MQTT.js monitors, each in its own process, share`);
    out.push('`$share/monitors/alarm/+/event`. Latency: from the panel recording an event to its first arrival at a monitor, both');
    out.push('stamped with the machine\'s monotonic clock.', '');
    out.push(table(['', ''], [
      ['events (all recorded by the panels, boot events included)', int(f.events)],
      ['load', `${f.load_seconds} s, ${int(f.events_per_s)} events/s`],
      ['**delivery latency, panel → monitor**', `p50 ${ms(f.delivery.p50_ms)} ms, **p99 ${ms(f.delivery.p99_ms)} ms**, max ${ms(f.delivery.max_ms)} ms (${int(f.delivery.samples)} samples)`],
      ['door pin edge → monitor, alarms (50 ms debounce included)', `p50 ${ms(f.alarm_edge_to_monitor.p50_ms)} ms, p99 ${ms(f.alarm_edge_to_monitor.p99_ms)} ms (${int(f.alarm_edge_to_monitor.samples)} samples)`],
      ['**lost / duplicated**', `${f.lost} / ${f.duplicated}`],
      ['**split between the monitors**', Object.entries(f.split).map(([k, v]) => `${k}: ${int(v)} (${((v / f.events) * 100).toFixed(1)}%)`).join(', ')],
      ['against one panel alone (above): event → subscriber p99', r.uplink ? `${ms(r.uplink.latency_loopback_mosquitto.panel.event_to_subscriber.p99_ms)} ms` : '—'],
      ['the panels\' process: event loop delay p99', `${ms(f.panel_process_loop_delay_p99_ms)} ms`],
      ['CPU during the load', `panels' process ${f.cpu_percent.panels_process}%, mosquitto ${f.cpu_percent.mosquitto}% (of one core)`],
      ['memory of the panels\' process', `${int(f.panels_process_rss_mib)} MiB RSS`],
      ['time', `connect ${f.connect_seconds} s, drain ${f.drain_seconds} s, whole fleet run ${f.wall_seconds} s`],
    ]), '');
  }

  if (r.moddable) {
    out.push('## Memory on the real Moddable runtime (lin build under mcsim, Instrumentation after a gc)', '');
    if (r.moddable.skipped) {
      out.push(`Not measured: ${r.moddable.skipped} (the SDK's host tools are needed: see the README).`, '');
    } else {
      out.push('The whole panel, preloaded and frozen by xsl as on the ESP32, connected to mosquitto; the events are 602 test reports');
      out.push('asked for by signed commands (command, core, journal, outbox, PUBLISH, PUBACK). Slots are counted as the ESP32 counts');
      out.push('them (16 bytes each there, 32 on x86_64); chunk bytes are as lin measures them (64-bit pointers: an upper bound for the ESP32).', '');
      out.push(table(['zones', 'events', 'slots', 'chunk bytes', 'ESP32 bytes (slots × 16 + chunks)'],
        r.moddable.rows.map((x) => [x.zones, int(x.events), int(x.slots), int(x.chunkBytes), int(x.esp32Bytes)])), '');
      const c = r.moddable.creation;
      if (c) out.push(`The manifest's creation: chunk heap ${int(c.chunkBytes)} bytes, slot heap ${int(c.slots)} slots (${int(c.slots * 16)} bytes on the ESP32). Goal: at most 48 KB in use after 1,000 events at 8 zones.`, '');
    }
  }

  if (r.fuzz) {
    const z = r.fuzz;
    out.push(`## Fuzz: ${int(z.total_inputs)} inputs, ${z.failures} failures`, '');
    out.push('fast-check (`bench/fuzz.ts`) with fixed seeds, on Node, against every place untrusted bytes or documents enter the panel.');
    out.push('Checked for every input: no exception escapes (a refusal is a value with a specific reason or field errors), accepted');
    out.push('MACs carry exactly what a key holder signed, and a refusal changes nothing (the current config; for the portal, every');
    out.push('byte of flash, the config, the state and the log, compared before and after). A failure reproduces from its seed and');
    out.push(`input index. Split: ${Object.entries(FUZZ_SPLIT).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(', ')}.`, '');
    out.push(table(['target', 'inputs', 'refused', 'accepted', 'failures', 'wall s', 'seed'],
      z.targets.map((t) => [`**${t.target}**`, int(t.inputs), int(t.refusals), int(t.accepted), t.failures, t.wall_seconds.toFixed(1), t.seed])), '');
    for (const t of z.targets) out.push(`- **${t.target}**: ${t.what}.`);
    out.push('');
    for (const t of z.targets) for (const e of t.examples) out.push(`Failure in ${t.target} (seed ${t.seed}, input ${e.index}): ${e.problem} — \`${e.input}\``, '');
    out.push(`${z.runtime}; ${z.wall_seconds} s in all.`, '');
  }

  out.push('## Run', '');
  out.push(table(['part', 'seconds'], Object.entries(r.seconds).map(([k, v]) => [k, v!])), '');
  out.push('`--fleet 1000` runs the fleet part with 1,000 panels; `--fuzz N` sets the inputs of the fuzz part; `--only core,xs,sizes,moddable,uplink,fleet,fuzz` picks parts; `--quick` runs');
  out.push('everything at a tiny size (the smoke test, test/bench/).', '');
  return out.join('\n');
}
