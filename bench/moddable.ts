// Memory on the real Moddable runtime: the lin build under mcsim, read with Moddable's
// Instrumentation over the control link (after a gc), after boot and after 1,000 events, at
// 8 and 32 zones. The events are 602 test reports asked for by signed commands, so they go
// through the whole path: command, core, journal, outbox, PUBLISH, PUBACK.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Mosquitto } from '../test/support/brokers.ts';
import { Subscriber } from '../test/uplink/subscriber.ts';
import { keyOf } from '../test/commands/fixtures.ts';
import { encodeKey } from '../src/uplink/keys.ts';
import { signCommand, decodeReply, type Command } from '../src/uplink/commands.ts';
import { unavailable, buildLin } from '../tools/moddable/sdk.ts';
import { Display, LinPanel, provisionLin, linInputPins } from '../tools/moddable/lin-panel.ts';

/** sizeof(txSlot) in the lin build (x86_64); the ESP32's is 16. */
const LIN_SLOT_BYTES = 32;

export interface MemoryRow {
  zones: number;
  events: number;
  /** Slots in use (slot heap bytes / sizeof(txSlot)): the same count on the ESP32. */
  slots: number;
  /** Chunk heap bytes in use, as lin measures them (64-bit pointers: the ESP32 uses fewer). */
  chunkBytes: number;
  /** What this would take on the ESP32: slots × 16 + chunk bytes (an upper bound for the chunks). */
  esp32Bytes: number;
}

export interface ModdableReport {
  skipped?: string;
  rows: MemoryRow[];
  creation?: { chunkBytes: number; slots: number };
}

async function measure(so: string, zones: number, events: number, display: Display): Promise<MemoryRow[]> {
  const broker = await Mosquitto.start();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const sub = await Subscriber.connect(url, ['alarm/lin1/reply', 'alarm/lin1/status']);
  const server = await LinPanel.listen();
  const flash = mkdtempSync(path.join(tmpdir(), 'lin-bench-'));
  let panel: LinPanel | undefined;
  try {
    provisionLin(flash, { brokerUrl: url, controlPort: (server.address() as { port: number }).port, remoteKey: encodeKey(keyOf(1)), doors: zones });
    panel = LinPanel.start(so, flash, display, server);
    await panel.line(/^hello$/, 'the control link');
    for (const gpio of linInputPins(zones)) panel.pin(gpio, 0);
    panel.send('power');
    await panel.line(/^boot 1$/, 'boot 1');
    // 'online' comes after the panel's SUBSCRIBE on the same link: from then on a command reaches it.
    await sub.until(() => sub.on('alarm/lin1/status').some((m) => Buffer.from(m.payload).toString() === 'online'), 'online', 20_000);
    const mem = async (): Promise<[number, number]> => {
      const from = panel!.control.length;
      panel!.send('mem');
      const line = await panel!.line(/^mem /, 'mem', from);
      const [, slotBytes, chunkBytes] = line.split(' ').map(Number);
      return [slotBytes, chunkBytes];
    };
    const row = (n: number, [slotBytes, chunkBytes]: [number, number]): MemoryRow => {
      const slots = slotBytes / LIN_SLOT_BYTES;
      return { zones, events: n, slots, chunkBytes, esp32Bytes: slots * 16 + chunkBytes };
    };
    const rows = [row(0, await mem())];
    const now = Math.floor(Date.now() / 1000);
    try {
      for (let i = 1; i <= events; i++) {
        const cmd: Command = { id: i, action: 'test', args: {}, counter: i, time: now };
        await sub.client.publishAsync('alarm/lin1/cmd', Buffer.from(signCommand(cmd, 1, keyOf(1))), { qos: 1 });
        await sub.until(() => sub.messages.some((m) => { const r = decodeReply(m.payload); return 'reply' in r && r.reply.id === i; }), `reply ${i}`, 20_000);
        if (sub.messages.length > 64) sub.messages.splice(0, sub.messages.length - 8); // replies seen; the status is checked
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}; mcsim ${panel.exit ? `exited (${panel.exit.code ?? panel.exit.signal})` : 'running'}:\n${panel.stdout.slice(-2000)}`);
    }
    rows.push(row(events, await mem()));
    return rows;
  } finally {
    await panel?.kill();
    server.close();
    await sub.close();
    await broker.stop();
  }
}

export async function moddableBench(options: { zones?: number[]; events?: number; creation?: { chunk: { initial: number }; heap: { initial: number } } } = {}): Promise<ModdableReport> {
  if (unavailable) return { skipped: unavailable, rows: [] };
  const lin = await buildLin();
  if (lin.code !== 0) throw new Error(`lin build failed:\n${lin.output.slice(-3000)}`);
  const display = await Display.start();
  try {
    const rows: MemoryRow[] = [];
    for (const zones of options.zones ?? [8, 32]) rows.push(...await measure(lin.so, zones, options.events ?? 1000, display));
    const c = options.creation;
    return { rows, creation: c ? { chunkBytes: c.chunk.initial, slots: c.heap.initial } : undefined };
  } finally {
    await display.stop();
  }
}
