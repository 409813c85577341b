// Runs inside XS (bundled by bench/outbox.ts): one outbox over a simulated flash, driven call by
// call from Node so that each call is metered alone and the heap read after a gc between calls.
// `install` is handed the outbox class to measure: the current one or the one before issue 13.
import { MemoryStorage } from '../hosts/xs/memory-storage';
import type { Storage } from '../src/store/storage';
import type { OutboxEntry } from '../src/store/outbox';

interface AnyOutbox {
  push(seq: number, payload: Uint8Array, alarm: boolean): { dropped: number[] };
  peek(max: number): OutboxEntry[];
  ack(seq: number): void;
  size(): number;
}
type Opener = (storage: Storage) => { outbox: AnyOutbox };

/** 27 bytes, the size of the panel's real events (bench: payload bytes). */
function payload(seq: number): Uint8Array {
  const out = new Uint8Array(27);
  for (let i = 0; i < out.length; i++) out[i] = (seq * 31 + i * 17) & 0xff;
  return out;
}

export function install(open: Opener): void {
  let storage: MemoryStorage | undefined;
  let outbox: AnyOutbox | undefined;
  let seq = 0;
  let window: OutboxEntry[] = [];
  const bench = {
    noop: (_n?: number) => 0,
    setup(): number {
      storage = new MemoryStorage();
      outbox = open(storage).outbox;
      seq = 0;
      return 1;
    },
    /** Pushes until `n` wait (an alarm every tenth); answers how many wait. */
    fill(n: number): number {
      while (outbox!.size() < n) {
        seq++;
        outbox!.push(seq, payload(seq), seq % 10 === 0);
      }
      return outbox!.size();
    },
    push(_n?: number): number {
      seq++;
      return outbox!.push(seq, payload(seq), false).dropped.length;
    },
    /** The uplink's window: the 32 oldest, payloads included. */
    peek(_n?: number): number {
      window = outbox!.peek(32);
      return window.length;
    },
    /** The PUBACK of the oldest entry of the window. */
    ack(_n?: number): number {
      const e = window.shift();
      if (e) outbox!.ack(e.seq);
      return outbox!.size();
    },
    /** A reboot: the outbox opened again from the flash. */
    reopen(_n?: number): number {
      outbox = undefined;
      window = [];
      outbox = open(storage!).outbox;
      return outbox.size();
    },
    /** The outbox let go (the flash kept): what is left in the heap is the simulated flash. */
    release(): number {
      outbox = undefined;
      window = [];
      return 1;
    },
    flashBytes(): number {
      let n = 0;
      for (const name of storage!.names()) n += Math.ceil(storage!.size(name) / 4096) * 4096;
      return n;
    },
  };
  (globalThis as unknown as { bench: typeof bench }).bench = bench;
}
