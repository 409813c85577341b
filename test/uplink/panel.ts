// A panel's uplink on the Node host, for the real-broker tests: the uplink over node:net /
// node:tls (hosts/node/transport.ts), driven by the Node host's timer (hosts/node/scheduler.ts),
// with an in-memory outbox.
import { Uplink, type UplinkConfig } from '../../src/uplink/uplink.ts';
import type { Connect } from '../../src/uplink/transport.ts';
import { nodeConnect } from '../../hosts/node/transport.ts';
import { NodeTimer } from '../../hosts/node/scheduler.ts';
import { MemoryOutbox } from '../support/memory-outbox.ts';
import { ContactId, Qualifier, type PanelEvent } from '../../src/core/events.ts';

export interface StatusChange { up: boolean; reason: string; at: number }

export class TestPanel {
  readonly outbox = new MemoryOutbox();
  readonly statuses: StatusChange[] = [];
  readonly uplink: Uplink;
  private readonly runner = new NodeTimer();
  private waiters: Array<() => void> = [];

  constructor(config: Partial<UplinkConfig> & Pick<UplinkConfig, 'host' | 'port'>, connect: Connect = nodeConnect) {
    const runner = this.runner;
    this.uplink = new Uplink(
      { clientId: `panel-${config.panelId ?? 'test'}`, panelId: 'test', keepalive: 5, backoff: { min: 100, max: 1_000 }, ...config },
      {
        connect,
        outbox: this.outbox,
        onStatus: (up, reason) => {
          this.statuses.push({ up, reason, at: performance.now() });
          this.notify();
        },
        wake: () => { runner.wake(); this.notify(); },
      },
    );
    runner.start({ service: (now) => this.uplink.tick(now), nextDeadline: () => this.uplink.nextDeadline() });
  }

  private notify(): void { for (const w of this.waiters.splice(0)) w(); }

  get up(): boolean { return this.uplink.info().up; }

  /** Adds `n` zone alarm events to the outbox and wakes the uplink; returns their seqs. */
  add(n: number, fields: Partial<PanelEvent> = {}): number[] {
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) seqs.push(this.outbox.addEvent({ code: ContactId.burglary, q: Qualifier.new, zone: 1 + (i % 8), ...fields }));
    this.runner.wake();
    return seqs;
  }

  /** Resolves when `done()` holds, checked whenever the uplink reports or asks to be woken. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!done()) {
      const left = end - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${this.uplink.info().lastReason})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50)); // also re-checks state that changes without a callback
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  async stop(): Promise<void> {
    this.uplink.stop();
    this.runner.stop();
  }

  /** Stops driving the uplink without a DISCONNECT: as if the panel lost power. */
  freeze(): void { this.runner.stop(); }
}

/** A Connect that keeps every transport it opened, so a test can cut them under the uplink. */
export function recordingConnect(inner: Connect = nodeConnect) {
  const opened: Array<ReturnType<Connect>> = [];
  const connect: Connect = (target, events) => {
    const t = inner(target, events);
    opened.push(t);
    return t;
  };
  return { connect, opened };
}
