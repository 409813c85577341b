// The lin build as a real process: Xvfb for mcsim's window, mcsim running mc.so in the panel's
// "flash" directory, and the control link (hosts/lin/control.ts) served here on 127.0.0.1.
// mcsim is started and SIGKILLed by its own pid; every wait is bounded and waits for
// something real (a line from the panel, an exit).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { sdkBin } from './sdk.ts';
import { FileStorage } from '../../hosts/node/file-storage.ts';
import { StateStore } from '../../src/store/state.ts';
import { saveConfig } from '../../src/app.ts';
import { firstBootConfig, validateConfig } from '../../src/config.ts';
import { Waiters } from '../waiters.ts';

const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });


function track(child: ChildProcess): Promise<void> {
  live.add(child);
  return new Promise((resolve) => child.once('exit', () => { live.delete(child); resolve(); }));
}

/** A headless X display (Xvfb picks a free number and tells it on -displayfd). */
export class Display {
  private constructor(private readonly child: ChildProcess, private readonly exited: Promise<void>, readonly name: string) {}

  static async start(): Promise<Display> {
    const child = spawn('Xvfb', ['-displayfd', '1', '-nolisten', 'tcp', '-screen', '0', '800x600x24'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = track(child);
    const name = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(`:${out.trim()}`);
      });
      child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before naming its display`)));
    });
    return new Display(child, exited, name);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** One run of the panel under mcsim (a new LinPanel per boot, on the same flash directory). */
export class LinPanel {
  stdout = '';
  /** Lines the panel sent on the control link, in order. */
  readonly control: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private socket: net.Socket | undefined;
  private readonly waiters = new Waiters();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly server: net.Server) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.waiters.changed(); });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.waiters.changed(); });
    this.exited = track(child);
    child.once('exit', (code, signal) => { this.exit = { code, signal }; this.waiters.changed(); });
    server.on('connection', (socket) => {
      this.socket = socket;
      let pending = '';
      socket.setEncoding('utf8').on('data', (d: string) => {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        this.control.push(...lines);
        this.waiters.changed();
      });
      socket.on('error', () => {});
    });
  }

  /** A control server on a free loopback port (its port goes in the flash dir as `sim-control`). */
  static async listen(): Promise<net.Server> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  static start(so: string, flashDir: string, display: Display, server: net.Server): LinPanel {
    // stdbuf: mcsim's trace goes to a pipe, which is block-buffered by default.
    const child = spawn('stdbuf', ['-o0', '-e0', path.join(sdkBin, 'mcsim'), so], {
      cwd: flashDir, env: { ...process.env, DISPLAY: display.name }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new LinPanel(child, server);
  }

  get pid(): number | undefined { return this.child.pid; }

  /** Once the control link is up: every input at rest (`inputs`, low), power on, and wait for boot `boot`. */
  async powerOn(boot: number, inputs: number[] = linInputPins()): Promise<this> {
    await this.line(/^hello$/, 'the control link');
    for (const gpio of inputs) this.pin(gpio, 0);
    this.send('power');
    await this.line(new RegExp(`^boot ${boot}$`), `boot ${boot}`);
    return this;
  }

  private died = (): string | undefined => (this.exit ? `mcsim exited (${this.exit.code ?? this.exit.signal}):\n${this.stdout.slice(-2000)}` : undefined);

  /** Waits for a line on the console matching `pattern`. */
  async console(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpExecArray> {
    await this.waiters.until(() => pattern.test(this.stdout), what, timeoutMs, this.died);
    return pattern.exec(this.stdout)!;
  }

  /** Waits for a control line matching `pattern` at or after index `from`. */
  async line(pattern: RegExp, what: string, from = 0, timeoutMs = 20_000): Promise<string> {
    const find = () => this.control.slice(from).find((l) => pattern.test(l));
    try {
      await this.waiters.until(() => find() !== undefined, what, timeoutMs, this.died);
    } catch (err) {
      throw new Error(`${(err as Error).message}\ncontrol: ${this.control.join(' | ')}\nconsole:\n${this.stdout.slice(-2000)}`);
    }
    return find()!;
  }

  /** The level the panel last wrote to an output pin (from the control link), or undefined. */
  level(gpio: number): number | undefined {
    const prefix = `out ${gpio} `;
    const last = this.control.filter((l) => l.startsWith(prefix)).at(-1);
    return last === undefined ? undefined : Number(last.slice(prefix.length));
  }

  /** Waits until output `gpio` was last written `level`. */
  async output(gpio: number, level: 0 | 1, what: string, timeoutMs = 20_000): Promise<void> {
    try {
      await this.waiters.until(() => this.level(gpio) === level, what, timeoutMs, this.died);
    } catch (err) {
      throw new Error(`${(err as Error).message}\ncontrol: ${this.control.join(' | ')}\nconsole:\n${this.stdout.slice(-2000)}`);
    }
  }

  /** Sets a simulated input pin (a door, a PIR). */
  pin(gpio: number, level: 0 | 1): void {
    if (!this.socket) throw new Error('the panel has not opened its control link');
    this.socket.write(`pin ${gpio} ${level}\n`);
  }

  send(line: string): void {
    if (!this.socket) throw new Error('the panel has not opened its control link');
    this.socket.write(`${line}\n`);
  }

  /** Power cut: SIGKILL of mcsim itself. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    this.socket?.destroy();
  }
}

export interface LinProvision {
  brokerUrl: string;
  controlPort: number;
  /** User 1's remote key (base64url), for signed commands. */
  remoteKey?: string;
  /** N instant doors on zones 1..N, no PIR (default: the first-boot zones, a door and a PIR). */
  doors?: number;
  /** Exit and entry delays of armed_away (default 0: tests do not wait). */
  delays?: number;
  /** The uplink key (base64url): everything the panel publishes is authenticated; `sealed` encrypts it too. */
  uplink?: string;
  sealed?: boolean;
}

/** GPIOs for N simulated doors: any but the siren's (25); lin has no strapping rules. */
const doorPins = Array.from({ length: 40 }, (_, g) => g).filter((g) => g !== 25);

/**
 * Writes a panel's config (and the control link's port) into `dir`, as the portal would have
 * saved it: the lin build finds it there as its flash. Returns the config's panel id.
 */
export function provisionLin(dir: string, p: LinProvision): string {
  const first = firstBootConfig('lin1', (n) => new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)));
  const raw = JSON.parse(JSON.stringify(first.config));
  raw.broker.url = p.brokerUrl;
  raw.alarm.zones[0].type = 'instant';
  raw.alarm.timers = { armed_away: { exitDelay: p.delays ?? 0, entryDelay: p.delays ?? 0 } };
  if (p.remoteKey) raw.remote = { 1: p.remoteKey };
  if (p.uplink) raw.uplink = p.uplink;
  if (p.sealed) raw.sealed = true;
  if (p.doors !== undefined) {
    raw.alarm.zones = Array.from({ length: p.doors }, (_, i) => ({ number: i + 1, name: `Door ${i + 1}`, type: 'instant' }));
    raw.pins = { siren: raw.pins.siren, doors: raw.alarm.zones.map((z: { number: number }, i: number) => ({ zone: z.number, pin: doorPins[i], wiring: 'NC', pull: 'up' })), motion: [] };
  }
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(`lin config: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  const storage = new FileStorage(dir);
  saveConfig(new StateStore(storage), checked.config);
  storage.replace('sim-control', new TextEncoder().encode(String(p.controlPort)));
  return checked.config.panel.id;
}

/** The input pins a provisioned panel uses, to close them all before power-on. */
export const linInputPins = (doors?: number): number[] => (doors === undefined ? [32, 33, 27] : doorPins.slice(0, doors));
