// A whole panel on the Node host in real time, for the benchmarks that need a real broker:
// the same Panel as the firmware, a simulated board for its pins, flash in memory, the Node
// TCP transport, and Node timers calling `service()` at its deadlines and when it wakes.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Panel } from '../src/app.ts';
import type { PanelConfig } from '../src/config.ts';
import type { PanelEvent } from '../src/core/events.ts';
import { openLevel } from '../drivers/input.ts';
import { eachInput } from '../drivers/config.ts';
import { MemoryStorage } from '../hosts/xs/memory-storage.ts';
import { SimBoard, simPins, type Level } from '../hosts/xs/sim-digital.ts';
import { nodeConnect } from '../hosts/node/transport.ts';
import { NodeTimer } from '../hosts/node/scheduler.ts';

export class NodePanel {
  readonly board = new SimBoard();
  readonly lines: string[] = [];
  readonly panel: Panel;
  private readonly runner: NodeTimer;
  private readonly started = performance.now();

  constructor(config: PanelConfig, readonly storage = new MemoryStorage()) {
    // Healthy wiring: every contact at its closed level, every tamper loop closed, before boot.
    eachInput(config.pins, (zone) => {
      this.board.set(zone.pin, openLevel(zone) === 1 ? 0 : 1);
      if (zone.tamperPin !== undefined) this.board.set(zone.tamperPin, 0);
    });
    const uptime = () => Math.floor(performance.now() - this.started); // whole ms, as a hardware tick counter gives
    const runner = this.runner = new NodeTimer({ uptime });
    this.panel = Panel.open({
      clock: { uptime, wallTime: () => Math.floor(Date.now() / 1000) },
      storage,
      pins: simPins(this.board),
      connect: nodeConnect,
      random: Math.random,
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
      log: (line) => { if (this.lines.push(line) > 100) this.lines.shift(); },
      wake: () => runner.wake(),
    }, config);
    runner.start(this.panel);
  }

  /** Drives an input pin, as a door or PIR would; the panel hears the edge at once. */
  set(pin: number, level: Level): void {
    this.board.set(pin, level);
  }

  onEvent(listener: (event: PanelEvent) => void): () => void {
    return this.panel.onEvent(listener);
  }

  get up(): boolean {
    return this.panel.status().uplink?.up === true;
  }

  /** Says goodbye to the broker and stops the timers. */
  close(): void {
    this.panel.close();
    this.runner.stop();
  }
}

/** Resolves when `done()` holds, polling every few ms; rejects after `timeoutMs` naming `what`. */
export async function until(done: () => boolean, what: string, timeoutMs = 10_000, everyMs = 2): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs)); // the poll interval of a bounded wait
  }
}
