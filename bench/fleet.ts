// The fleet run (a report, not a test): N whole panels against one mosquitto, two monitoring
// stations sharing the event stream.
//
// The panels are real Panels (bench/node-panel.ts) in this process, each with its own TCP
// connection, journal and outbox; each goes through an arm → alarm → disarm cycle, one step
// a second. The two monitors are MQTT.js clients in processes of their own, in one MQTT 5
// shared subscription (`$share/monitors/alarm/+/event`). Delivery latency is from the moment
// a panel records an event (log + outbox) to its arrival at a monitor, both read from the
// machine's monotonic clock. Lost: events a panel recorded that no monitor received;
// duplicated: arrivals beyond the first of the same (panel, seq).
//
//   node --import tsx bench/fleet.ts [--fleet 1000] [--seconds 20] [--step-ms 5000]   (prints JSON)
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Mosquitto } from '../test/support/brokers.ts';
import { benchPanel } from './panel-config.ts';
import { NodePanel, until } from './node-panel.ts';
import { spread, type Spread } from './uplink.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = (): number => Number(process.hrtime.bigint() / 1000n) / 1000; // ms, CLOCK_MONOTONIC: the monitors' clock too

export interface FleetOptions {
  panels?: number;
  /** Seconds of load, after every panel is connected (default 20). */
  seconds?: number;
  /**
   * Milliseconds between two steps of one panel's cycle. Default: 5 ms × panels (1 s for 200),
   * so the fleet's event rate stays the same whatever its size (about 150 events/s, which one
   * Node process of panels carries on one core) and a bigger fleet adds connections.
   */
  stepMs?: number;
}

interface MonitorReport { name: string; arrivals: number[]; bad: number }

class Monitor {
  private constructor(readonly name: string, private readonly child: ChildProcess) {}

  static start(url: string, name: string): Promise<Monitor> {
    const child = fork(path.join(here, 'fleet-monitor.ts'), [url, name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`monitor ${name} did not subscribe within 20 s`)), 20_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`monitor ${name} exited (${code}) before it subscribed`)));
      child.once('message', () => { clearTimeout(timer); resolve(new Monitor(name, child)); });
    });
  }

  private ask<T>(request: 'count' | 'report'): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`monitor ${this.name} did not answer within 20 s`)), 20_000);
      this.child.once('message', (m) => { clearTimeout(timer); resolve(m as T); });
      this.child.send(request);
    });
  }

  async count(): Promise<number> { return (await this.ask<{ count: number }>('count')).count; }
  report(): Promise<MonitorReport> { return this.ask<MonitorReport>('report'); }

  stop(): void { this.child.kill(); }
}

// Monitors must not outlive this process, whatever happens to it.
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

/** CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

export interface FleetReport {
  panels: number;
  monitors: number;
  load_seconds: number;
  step_ms: number;
  events: number;
  events_per_s: number;
  delivery: Spread;
  /** Door pin edge → monitor for the alarms (130); includes the contacts' 50 ms debounce. */
  alarm_edge_to_monitor: Spread;
  lost: number;
  duplicated: number;
  split: Record<string, number>;
  connect_seconds: number;
  drain_seconds: number;
  wall_seconds: number;
  /** This process's event loop (all panels): p99 delay, ms. A busy loop shows in the latency too. */
  panel_process_loop_delay_p99_ms: number;
  cpu_percent: { panels_process: number; mosquitto: number };
  /** Resident memory of this process (all panels) at the end of the load, MiB. */
  panels_process_rss_mib: number;
}

export async function fleetBench(options: FleetOptions = {}): Promise<FleetReport> {
  const n = options.panels ?? 200;
  const seconds = options.seconds ?? 20;
  const stepMs = options.stepMs ?? 5 * n;
  const began = performance.now();
  const broker = await Mosquitto.start();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const monitors: Monitor[] = [];
  const panels: NodePanel[] = [];
  try {
    monitors.push(await Monitor.start(url, 'a'), await Monitor.start(url, 'b'));

    // Boot in batches, so the broker's accept queue is not flooded.
    const recorded = new Map<string, number>(); // "panel/seq" → when it was recorded
    const edges: number[] = [];
    const edgeOf = new Map<string, number>();
    const lastEdge: number[] = [];
    const connectStart = performance.now();
    for (let i = 0; i < n; i += 50) {
      const batch: NodePanel[] = [];
      for (let j = i; j < Math.min(n, i + 50); j++) {
        const bp = benchPanel(8, { panelId: `p${j}`, brokerUrl: url, exitDelay: 0 });
        const np = new NodePanel(bp.config);
        np.onEvent((e) => {
          const key = `${j}/${e.seq}`;
          recorded.set(key, now());
          if (e.code === 130 && e.q === 1 && lastEdge[j] !== undefined) edgeOf.set(key, lastEdge[j]);
        });
        batch.push(np);
      }
      panels.push(...batch);
      await until(() => batch.every((p) => p.up), `panels ${i}–${i + batch.length - 1} to connect`, 60_000, 50);
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;

    // The load: each panel steps through arm → door opens (alarm) → door closes → disarm.
    const bp = benchPanel(8, { exitDelay: 0 });
    const door = bp.pinOf(bp.instantZone);
    const step = new Array<number>(n).fill(0);
    const act = (i: number) => {
      const np = panels[i];
      switch (step[i]++ % 4) {
        case 0: np.panel.keypad('arm_away', bp.code); break;
        case 1: lastEdge[i] = now(); np.set(door, bp.openLevel); break;
        case 2: np.set(door, bp.openLevel ? 0 : 1); break;
        case 3: np.panel.keypad('disarm', bp.code); break;
      }
    };
    // Steps are handed out round-robin at a steady rate (n per stepMs), checked every 10 ms.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = { self: process.cpuUsage(), broker: cpuSeconds(broker.pid!), at: performance.now() };
    const during = recorded.size;
    await new Promise<void>((resolve) => {
      let done = 0;
      const timer = setInterval(() => {
        const elapsed = performance.now() - cpu0.at;
        const due = Math.floor((Math.min(elapsed, seconds * 1000) / stepMs) * n);
        while (done < due) act(done++ % n);
        if (elapsed >= seconds * 1000) { clearInterval(timer); resolve(); }
      }, 10);
    });
    loop.disable();
    const loadSeconds = (performance.now() - cpu0.at) / 1000;
    const self = process.cpuUsage(cpu0.self);
    const cpu = {
      panels_process: Math.round(((self.user + self.system) / 1e6 / loadSeconds) * 100),
      mosquitto: Math.round(((cpuSeconds(broker.pid!) - cpu0.broker) / loadSeconds) * 100),
    };
    const loadEvents = recorded.size - during;
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);

    // Drain: a door opened in the last step still has its debounce to run; then every outbox
    // must empty (each event acknowledged by the broker).
    const drainStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 200)); // longer than the 50 ms debounce
    await until(() => panels.every((p) => p.panel.status().outbox === 0), 'every outbox to drain', 60_000, 100);
    // Acknowledged by the broker is not yet delivered: wait until the monitors hold as many
    // arrivals as the panels recorded events, or their count stops growing for 500 ms (≤ 20 s).
    const expected = panels.reduce((sum, p) => sum + p.panel.status().lastSeq, 0);
    for (let waited = 0, last = -1; waited < 20_000; waited += 500) {
      const got = (await Promise.all(monitors.map((m) => m.count()))).reduce((a, b) => a + b, 0);
      if (got >= expected || got === last) break;
      last = got;
      await new Promise((resolve) => setTimeout(resolve, 500)); // the settling interval above
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const reports = await Promise.all(monitors.map((m) => m.report()));

    // Join: every event each panel ever recorded (seq 1..lastSeq) against the arrivals.
    const first = new Map<string, number>();
    let duplicated = 0;
    const split: Record<string, number> = {};
    for (const r of reports) {
      split[`monitor ${r.name}`] = r.arrivals.length / 3;
      for (let k = 0; k < r.arrivals.length; k += 3) {
        const key = `${r.arrivals[k]}/${r.arrivals[k + 1]}`;
        const at = r.arrivals[k + 2];
        if (first.has(key)) { duplicated++; first.set(key, Math.min(first.get(key)!, at)); } else first.set(key, at);
      }
    }
    let lost = 0;
    panels.forEach((p, i) => {
      for (let seq = 1; seq <= p.panel.status().lastSeq; seq++) if (!first.has(`${i}/${seq}`)) lost++;
    });
    const delivery: number[] = [];
    for (const [key, at] of recorded) {
      const arrived = first.get(key);
      if (arrived !== undefined) delivery.push(arrived - at);
    }
    for (const [key, at] of edgeOf) {
      const arrived = first.get(key);
      if (arrived !== undefined) edges.push(arrived - at);
    }
    return {
      panels: n, monitors: monitors.length, load_seconds: Math.round(loadSeconds * 10) / 10, step_ms: stepMs,
      events: expected, events_per_s: Math.round(loadEvents / loadSeconds),
      delivery: spread(delivery), alarm_edge_to_monitor: spread(edges), lost, duplicated, split,
      connect_seconds: Math.round(connectSeconds * 10) / 10, drain_seconds: Math.round(drainSeconds * 10) / 10,
      wall_seconds: Math.round((performance.now() - began) / 100) / 10,
      panel_process_loop_delay_p99_ms: Math.round(loop.percentile(99) / 1e4) / 100,
      cpu_percent: cpu,
      panels_process_rss_mib: rss,
    };
  } finally {
    for (const p of panels) p.close();
    for (const m of monitors) m.stop();
    await broker.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  console.log(JSON.stringify(await fleetBench({ panels: arg('--fleet'), seconds: arg('--seconds'), stepMs: arg('--step-ms') }), null, 2));
}
