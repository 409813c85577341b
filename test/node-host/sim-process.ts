// `npm start`'s program as a real child process: started on a data directory, its addresses
// read from what it prints, driven through its control API, watched through its event
// stream, and stopped by real signals. Every wait is bounded and waits for something real
// (a line, a message, an exit).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Waiters } from '../../tools/waiters.ts';

const root = path.resolve(import.meta.dirname, '../..');

// A simulator must not outlive the test process, even when a test fails before its teardown.
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

export const tempDataDir = () => mkdtempSync(path.join(tmpdir(), 'node-host-'));

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export class SimProcess {
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  web = '';
  portal = '';
  broker = '';
  panelId = '';
  private readonly waiters = new Waiters();

  private constructor(readonly child: ChildProcess, readonly data: string) {
    live.add(child);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.waiters.changed(); });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.waiters.changed(); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      live.delete(child);
      this.exit = { code, signal };
      this.waiters.changed();
      resolve(this.exit);
    }));
  }

  /** Starts `node --import tsx hosts/node/main.ts --data DIR --port 0 …args` and waits for its banner. */
  static async start(data: string, args: string[] = [], timeoutMs = 30_000): Promise<SimProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hosts/node/main.ts', '--data', data, '--port', '0', ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sim = new SimProcess(child, data);
    await sim.waitForOutput(/^Live events from the broker/m, 'the start banner', timeoutMs);
    sim.web = /^ {2}Virtual panel\s+(http:\/\/127\.0\.0\.1:\d+)\//m.exec(sim.stdout)![1];
    sim.portal = /^ {2}Portal\s+(http:\/\/127\.0\.0\.1:\d+)\//m.exec(sim.stdout)![1];
    sim.broker = /^ {2}Broker\s+(mqtts?:\/\/\S+)/m.exec(sim.stdout)![1];
    sim.panelId = /^ {2}Panel id\s+(\S+)/m.exec(sim.stdout)![1];
    return sim;
  }

  private failed = () => (this.exit ? `the simulator exited (${JSON.stringify(this.exit)}; stderr: ${this.stderr.trim() || 'empty'})` : undefined);

  async waitForOutput(pattern: RegExp, what: string, timeoutMs = 10_000): Promise<RegExpExecArray> {
    await this.waiters.until(() => pattern.test(this.stdout), what, timeoutMs, this.failed);
    return pattern.exec(this.stdout)!;
  }

  /** Waits for the process to exit (it is killed with SIGKILL after `timeoutMs`, and the wait fails). */
  async waitForExit(timeoutMs = 10_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { this.child.kill('SIGKILL'); reject(new Error(`the simulator did not exit within ${timeoutMs} ms`)); }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait for the exit: a power cut. */
  async kill(): Promise<Exit> {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }

  async get<T = any>(route: string): Promise<T> {
    const res = await fetch(this.web + route, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  }

  async post<T = any>(route: string, body: unknown): Promise<T> {
    const res = await fetch(this.web + route, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(data)}`);
    return data as T;
  }

  /** Opens the event stream (/sim/events). */
  async events(): Promise<EventStream> {
    return EventStream.open(`${this.web}/sim/events`);
  }
}

export interface SseMessage { name: string; data: any }

/** A Server-Sent Events client that keeps every message. */
export class EventStream {
  readonly messages: SseMessage[] = [];
  private readonly waiters = new Waiters();
  private ended: string | undefined;

  private constructor(private readonly abort: AbortController) {}

  static async open(url: string): Promise<EventStream> {
    const abort = new AbortController();
    const res = await fetch(url, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
    const stream = new EventStream(abort);
    void stream.read(res.body);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) this.messages.push({ name, data: JSON.parse(data) });
        }
        this.waiters.changed();
      }
      this.ended = 'the event stream ended';
    } catch (err) {
      this.ended = `the event stream failed: ${(err as Error).message}`;
    }
    this.waiters.changed();
  }

  named(name: string): any[] { return this.messages.filter((m) => m.name === name).map((m) => m.data); }
  /** The newest state message. */
  get state(): any { return this.named('state').at(-1); }

  /** Waits until `done(stream)` holds; fails when the stream ends first or after `timeoutMs`. */
  async until(done: (stream: EventStream) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await this.waiters.until(() => done(this), what, timeoutMs, () => this.ended);
  }

  /** Waits until a state message has shown `mode` (a mode passed through quickly counts). */
  async mode(mode: string, timeoutMs = 10_000): Promise<void> {
    await this.until((s) => s.named('state').some((st) => st.snapshot.mode === mode), `mode ${mode}`, timeoutMs);
  }

  close(): void { this.abort.abort(); }
}
