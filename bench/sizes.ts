// Benchmark figures in bytes (deterministic): the firmware bundles, the payloads against the
// same data as JSON, and what the default outbox holds.
import path from 'node:path';
import { bundle, buildModdableLibs, firmware, repoRoot } from '../tools/build.ts';
import { SimHost } from '../hosts/xs/sim-host.ts';
import { MemoryStorage } from '../hosts/xs/memory-storage.ts';
import { PersistentOutbox, OutboxFull } from '../src/store/outbox.ts';
import { encodeEvent, encodeState } from '../src/uplink/payloads.ts';
import { ContactId, isAlarmEvent, type PanelEvent } from '../src/core/events.ts';
import { benchPanel } from './panel-config.ts';

/** The whole app as one firmware bundle: what the ESP32 runs above the Moddable host modules. */
const APP_ENTRY = `
export { Panel, saveConfig, loadConfig } from '../src/app';
export { firstBootConfig, validateConfig } from '../src/config';
`;

/** Bytes of the minified output per source: our directories, or the npm package they come from. */
function bySource(metafile: NonNullable<Awaited<ReturnType<typeof bundle>>['metafile']>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      if (!pkg && input.startsWith('bench/')) continue; // the entry's re-exports
      const key = pkg ?? (input.includes(':') || input.startsWith('tools/') ? 'shims' : `${input.split('/')[0]}/`);
      out[key] = (out[key] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

export async function bundleSizes() {
  const fw = await firmware();
  const app = await bundle({ stdin: { contents: APP_ENTRY, resolveDir: path.join(repoRoot, 'bench') }, format: 'esm', minify: true, metafile: true });
  const core = await bundle({ entry: 'src/core/machine.ts', format: 'esm', minify: true });
  return {
    firmware_entry: { entry: 'hosts/xs/firmware.ts', bytes: fw.bytes, note: 'the firmware entry: the app and everything it reaches' },
    app: { entry: 'src/app.ts (Panel) + src/config.ts, with drivers/, src/store, src/uplink and the libraries', bytes: app.bytes, by_source: bySource(app.metafile!) },
    core_alone: { entry: 'src/core/machine.ts', bytes: core.bytes },
    moddable_libs: await buildModdableLibs(),
  };
}

const WALL_START = 1_790_000_000;

/** Events of every kind a bench panel's life produces, as its log holds them (first of each code/qualifier). */
export function sampleEvents(): Array<{ name: string; event: PanelEvent }> {
  const bp = benchPanel(8);
  const host = new SimHost({ wallStart: WALL_START });
  host.uptimeMs = 86_400_000; // a panel that has been up for a day
  const panel = host.open(bp.config);
  const s = 1000;
  const at = (ms: number) => host.runTo(panel, host.uptimeMs + ms);
  at(1 * s);
  panel.keypad('arm_away', bp.code);
  at(31 * s);
  host.set(bp.pinOf(bp.instantZone), bp.openLevel);
  at(1 * s);
  host.set(bp.pinOf(bp.instantZone), bp.openLevel ? 0 : 1);
  panel.keypad('disarm', bp.code);
  at(1 * s);
  host.set(bp.pinOf(8), bp.openLevel); // the 24h tamper loop opens, then closes
  at(1 * s);
  host.set(bp.pinOf(8), bp.openLevel ? 0 : 1);
  at(1 * s);
  host.set(bp.pinOf(7), bp.openLevel); // the panic button
  at(1 * s);
  for (let i = 0; i < 10; i++) panel.keypad('arm_away', '0000');
  const named: Record<string, string> = {
    [`${ContactId.restart}/1`]: 'panel restart (305)',
    [`${ContactId.openClose}/3`]: 'closing by user (401, armed)',
    [`${ContactId.burglary}/1`]: 'zone alarm (130)',
    [`${ContactId.burglary}/3`]: 'zone alarm restore (130)',
    [`${ContactId.openClose}/1`]: 'opening by user (401, disarmed)',
    [`${ContactId.tamper}/1`]: 'tamper (137)',
    [`${ContactId.tamper}/3`]: 'tamper restore (137)',
    [`${ContactId.audiblePanic}/1`]: 'panic (123)',
    [`${ContactId.lockout}/1`]: 'keypad lockout (461)',
  };
  const seen = new Set<string>();
  const out: Array<{ name: string; event: PanelEvent }> = [];
  for (const event of panel.events(100)) {
    const key = `${event.code}/${event.q}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: named[key] ?? `${event.code}/${event.q}`, event });
  }
  // The same restart on a panel whose clock was never set: no wall time in the event.
  const unset = new SimHost();
  const cold = unset.open(bp.config);
  unset.runTo(cold, 1 * s);
  out.push({ name: 'panel restart, clock not set (305)', event: cold.events(1)[0] });
  return out;
}

export interface PayloadRow { payload: string; cbor_bytes: number; json_bytes: number; ratio: number }

const row = (payload: string, cbor: Uint8Array, json: unknown): PayloadRow => {
  const j = Buffer.byteLength(JSON.stringify(json));
  return { payload, cbor_bytes: cbor.length, json_bytes: j, ratio: Number((cbor.length / j).toFixed(2)) };
};

/** Each event kind and the state snapshot (8 and 32 zones, after an alarm), as CBOR and as the same data in JSON. */
export function payloadBytes(): { events: PayloadRow[]; state: PayloadRow[] } {
  const events = sampleEvents().map(({ name, event }) => row(name, encodeEvent(event), { v: 1, ...event }));
  const state = [8, 32].map((n) => {
    const bp = benchPanel(n);
    const host = new SimHost({ wallStart: WALL_START });
    const panel = host.open(bp.config);
    host.runTo(panel, 1000);
    panel.keypad('arm_away', bp.code);
    host.runTo(panel, 32_000);
    host.set(bp.pinOf(bp.instantZone), bp.openLevel);
    host.runTo(panel, 33_000);
    const snap = panel.snapshot() as unknown as Record<string, unknown>;
    return row(`state snapshot, ${n} zones, after an alarm`, encodeState(snap), { v: 1, ...snap });
  });
  return { events, state };
}

export interface OutboxFill { kind: string; entries: number; file_bytes: number; bytes_per_entry: number; next: string; files?: number; flash_bytes?: number }

/**
 * The default outbox (as Panel.open makes it) filled with one kind of event until it is full:
 * how many entries it holds, the bytes its files hold and the flash they take (whole 4 KB
 * littlefs blocks), and what the next push does.
 */
export function outboxCapacity(): { capacity: number; hardCap: number; fills: OutboxFill[] } {
  const fill = (kind: string, make: (seq: number) => PanelEvent): OutboxFill => {
    const storage = new MemoryStorage();
    const { outbox } = PersistentOutbox.open(storage);
    let seq = 0;
    let next = '';
    for (;;) {
      const event = make(++seq);
      try {
        const { dropped } = outbox.push(seq, encodeEvent(event), isAlarmEvent(event));
        if (dropped.length) { next = `drops seq ${dropped.join(', ')} to make room`; break; }
      } catch (err) {
        if (!(err instanceof OutboxFull)) throw err;
        next = 'refused (OutboxFull): no alarm is ever dropped';
        break;
      }
    }
    const entries = outbox.size();
    const files = outbox.files();
    let bytes = 0;
    for (const name of files) bytes += storage.size(name);
    return { kind, entries, file_bytes: bytes, bytes_per_entry: Math.round(bytes / entries), next, files: files.length, flash_bytes: outbox.flashBytes() };
  };
  const base = { boot: 12, uptime: 86_400_000, time: WALL_START };
  const fills = [
    fill('openings/closings (401, may be dropped)', (seq) => ({ ...base, seq, code: ContactId.openClose, q: seq % 2 ? 1 : 3, user: 1 })),
    fill('zone alarms (130, never dropped)', (seq) => ({ ...base, seq, code: ContactId.burglary, q: 1, zone: 3 })),
  ];
  const { outbox } = PersistentOutbox.open(new MemoryStorage());
  return { capacity: outbox.capacity, hardCap: outbox.hardCap, fills };
}
