// What the monitor tests run against: a real Panel (the whole app) on the simulated board,
// its clock and loop driven by real time and its uplink over node:net to a real broker; a TCP
// proxy that can swallow the broker's answers or cut the link; and the monitor CLI as a child
// process, exactly as a person runs it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimHost } from '../../hosts/xs/sim-host.ts';
import { nodeConnect } from '../../hosts/node/transport.ts';
import { NodeTimer } from '../../hosts/node/scheduler.ts';
import type { Panel } from '../../src/app.ts';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config.ts';
import { makeUser } from '../../src/core/settings.ts';
import { encodeKey } from '../../src/uplink/keys.ts';
import type { Connect } from '../../src/uplink/transport.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const monitorPath = path.join(repoRoot, 'tools/monitor.ts');

/** A SimHost whose clock follows real time and whose loop runs on Node timers. */
class LiveHost extends SimHost {
  private readonly started = performance.now();
  /** The Node host's one timer (hosts/node/scheduler.ts); the hand-driven clock follows real time. */
  private readonly timer = new NodeTimer({
    uptime: () => (this.uptimeMs = Math.max(this.uptimeMs, Math.round(performance.now() - this.started))),
    afterRound: () => this.notify(),
  });
  private readonly listeners = new Set<() => void>();

  constructor(connect: Connect, clock = true) {
    super({ connect, wallStart: clock ? Math.floor(Date.now() / 1000) : undefined, seed: Date.now() });
  }

  /** Drives `panel` from now on. */
  drive(panel: Panel): void {
    this.timer.start(panel);
  }

  override log(line: string): void {
    super.log(line);
    this.notify();
  }

  override wake(at?: number): void {
    this.timer.wake(at);
  }

  notify(): void { for (const l of this.listeners) l(); }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.timer.stop();
  }
}

export const codes = { family: '2580', cleaner: '1111', ha: '4321' };
export const keyOf = (user: number) => new Uint8Array(32).fill(user * 7 + 1);

export interface LiveOptions {
  brokerPort: number;
  id?: string;
  homeAssistant?: boolean;
  connect?: Connect;
  /** false: the panel's wall clock is never set (no SNTP). */
  clock?: boolean;
  /** Extra config fields (e.g. the uplink key). */
  config?: Partial<PanelConfig>;
}

/** A whole panel on real time. Users: 1 Owner (master), 2 Family, 3 Cleaner (arm-only), 4 Home Assistant. */
export class LivePanel {
  readonly host: LiveHost;
  readonly panel: Panel;
  readonly masterCode: string;
  readonly config: PanelConfig;

  constructor(o: LiveOptions) {
    this.host = new LiveHost(o.connect ?? nodeConnect, o.clock !== false);
    const first = firstBootConfig(o.id ?? 'p1', (n) => this.host.randomBytes(n));
    this.masterCode = first.masterCode;
    const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
    const salt = () => Buffer.from(this.host.randomBytes(8)).toString('hex');
    raw.alarm.users.push(
      makeUser({ number: 2, name: 'Family', role: 'user', code: codes.family, salt: salt() }),
      makeUser({ number: 3, name: 'Cleaner', role: 'arm-only', code: codes.cleaner, salt: salt() }),
      makeUser({ number: 4, name: 'Home Assistant', role: 'user', code: codes.ha, salt: salt() }),
    );
    raw.broker = { ...raw.broker, url: `mqtt://127.0.0.1:${o.brokerPort}`, keepalive: 10 };
    raw.remote = { 1: encodeKey(keyOf(1)), 3: encodeKey(keyOf(3)) };
    raw.homeAssistant = { enabled: o.homeAssistant === true, user: 4, discoveryPrefix: 'homeassistant' };
    Object.assign(raw, o.config ?? {});
    const checked = validateConfig(raw);
    if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
    this.config = checked.config;
    this.panel = this.host.open(checked.config);
    this.host.drive(this.panel);
    this.host.wake();
  }

  get lines(): string[] { return this.host.lines; }
  get up(): boolean { return this.panel.status().uplink?.up === true; }

  /** Resolves when `done()` holds, checked whenever the panel runs or logs (and every 50 ms). */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!done()) {
      const left = end - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; panel log: ${this.lines.slice(-5).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50)); // re-checks state that changes without a callback
        const off = this.host.onChange(() => { clearTimeout(timer); off(); resolve(); });
      });
    }
  }

  /** Says goodbye to the broker (offline) and stops. */
  close(): void {
    this.panel.close();
    this.host.stop();
  }
}

/**
 * A TCP proxy between the panel and the broker. `swallow` drops what the broker sends to the
 * panel (PUBACKs included) while the panel's bytes still go through; `cut` drops the links;
 * `refuse` stops accepting, so the panel cannot come back.
 */
export class LinkProxy {
  swallow = false;
  private readonly pairs = new Set<{ panel: net.Socket; broker: net.Socket }>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<LinkProxy> {
    let proxy: LinkProxy | undefined;
    const server = net.createServer((panel) => {
      const broker = net.connect({ host: '127.0.0.1', port: targetPort });
      const pair = { panel, broker };
      proxy!.pairs.add(pair);
      panel.on('data', (d) => broker.write(d));
      broker.on('data', (d) => { if (!proxy!.swallow) panel.write(d); });
      const end = () => { panel.destroy(); broker.destroy(); proxy!.pairs.delete(pair); };
      for (const s of [panel, broker]) { s.once('close', end); s.on('error', end); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new LinkProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  cut(): void {
    for (const { panel, broker } of this.pairs) { panel.destroy(); broker.destroy(); }
    this.pairs.clear();
  }

  /** Stops accepting at once (the port refuses connections) and cuts the links there are. */
  refuse(): void {
    if (this.server.listening) this.server.close();
    this.cut();
  }

  close(): void {
    this.refuse();
  }
}

// ---- the CLI as a child process ----------------------------------------------------------------

const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export interface Finished { code: number | null; stdout: string; stderr: string }

/** Runs `monitor ARGS` to its end (bounded by `timeoutMs`). */
export function runMonitor(args: string[], timeoutMs = 30_000): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', monitorPath, ...args], { cwd: repoRoot, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) ?? null : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** A long-running `monitor watch …`: its output as it comes, line by line. */
export class MonitorProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', monitorPath, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => { live.delete(this.child); this.notify(); resolve(code); }));
    this.lines(this.child.stdout!, this.out);
    this.lines(this.child.stderr!, this.err);
  }

  private lines(stream: NodeJS.ReadableStream, into: string[]): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      into.push(...parts);
      this.notify();
    });
  }

  private notify(): void { for (const w of this.waiters.splice(0)) w(); }

  /** stdout lines parsed as JSON (watch --json). */
  get json(): Array<Record<string, unknown>> {
    return this.out.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  events(): Array<Record<string, unknown>> { return this.json.filter((r) => r.type === 'event'); }

  until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return MonitorProcess.until([this], done, what, timeoutMs);
  }

  /** Resolves when `done()` holds, checked whenever any of `monitors` prints or exits. */
  static async until(monitors: MonitorProcess[], done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!done()) {
      const left = end - performance.now();
      if (left <= 0) {
        const tails = monitors.map((m) => `stdout: ${m.out.slice(-3).join(' | ')}; stderr: ${m.err.join(' | ')}`).join(' / ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${tails}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const wake = () => { clearTimeout(timer); resolve(); };
        for (const m of monitors) m.waiters.push(wake);
      });
    }
  }

  /** Waits until it says it is subscribed. */
  ready(): Promise<void> {
    return this.until(() => this.err.some((l) => l.startsWith('monitor: watching')), 'the monitor to subscribe', 20_000);
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A private directory with a key file for `user` (mode 600, as keygen's output should be kept). */
export function keyFile(user: number, key = keyOf(user)): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'monitor-key-'));
  const file = path.join(dir, `user${user}.json`);
  writeFileSync(file, JSON.stringify({ user, key: encodeKey(key) }), { mode: 0o600 });
  return file;
}
