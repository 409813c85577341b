// Real brokers for the uplink tests: Debian's mosquitto (MQTT 5, TLS, passwords) started on
// free loopback ports and stopped/restarted for real, aedes in-process (MQTT 3.1.1 only), and a
// proxy that can slip bad bytes into the broker-to-panel stream.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, chownSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

// A broker must not outlive its test process, even when a test fails before its teardown.
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

/** A port the OS hands out for 127.0.0.1 (bound once, then released for the broker). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts a TCP connection; rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForPort(port: number, timeoutMs = 5_000, alive: () => boolean = () => true): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`the broker exited before port ${port} accepted`);
    if (Date.now() > end) throw new Error(`port ${port} did not accept within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25)); // poll interval of a bounded wait
  }
}

/** Makes `file` readable (and `dir` usable) by the user mosquitto drops to. */
function forMosquitto(file: string, mode = 0o644): void {
  chmodSync(file, mode);
  try {
    const uid = Number(execFileSync('id', ['-u', 'mosquitto']).toString());
    const gid = Number(execFileSync('id', ['-g', 'mosquitto']).toString());
    chownSync(file, uid, gid);
  } catch { /* no such user: mosquitto keeps running as us */ }
}

export interface Pki {
  dir: string;
  /** PEM of the test CA. */
  ca: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate and key signed by the same CA (for brokers that require one). */
  clientCert: string;
  clientKey: string;
}

let pki: Pki | undefined;

/** A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate (openssl). */
export function testPki(): Pki {
  if (pki) return pki;
  const dir = mkdtempSync(path.join(tmpdir(), 'uplink-pki-'));
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=uplink test CA');
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'panel-test', 'extendedKeyUsage=clientAuth'],
  ]) {
    ssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
  }
  chmodSync(dir, 0o755);
  for (const name of ['ca.pem', 'server.pem', 'server.key']) forMosquitto(f(name));
  pki = {
    dir, ca: readFileSync(f('ca.pem'), 'utf8'), caFile: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'),
    clientCert: readFileSync(f('client.pem'), 'utf8'), clientKey: readFileSync(f('client.key'), 'utf8'),
  };
  return pki;
}

export interface MosquittoOptions {
  /** user → password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Adds a TLS listener with the test PKI. */
  tls?: boolean;
  /** The TLS listener also requires a client certificate signed by the test CA. */
  requireClientCert?: boolean;
  /** Keep sessions and queued messages across a clean stop (SIGTERM). */
  persistence?: boolean;
  /** `max_packet_size`: larger packets from any client close its link; announced to MQTT 5 clients. */
  maxPacketSize?: number;
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  private constructor(readonly dir: string, readonly config: string, readonly port: number, readonly tlsPort: number | undefined) {}

  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(path.join(tmpdir(), 'uplink-mosquitto-'));
    chmodSync(dir, 0o777); // mosquitto (as user mosquitto) writes its persistence file here
    const port = await freePort();
    const tlsPort = options.tls ? await freePort() : undefined;
    const lines = ['log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', `listener ${port} 127.0.0.1`];
    if (options.users) {
      const pw = path.join(dir, 'passwords');
      writeFileSync(pw, '');
      for (const [user, pass] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', pw, user, pass]);
      forMosquitto(pw, 0o640);
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (tlsPort) {
      const p = testPki();
      lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${p.caFile}`, `certfile ${p.serverCert}`, `keyfile ${p.serverKey}`);
      if (options.requireClientCert) lines.push('require_certificate true');
    }
    if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
    if (options.maxPacketSize) lines.push(`max_packet_size ${options.maxPacketSize}`);
    const config = path.join(dir, 'mosquitto.conf');
    writeFileSync(config, lines.join('\n') + '\n');
    forMosquitto(config);
    const broker = new Mosquitto(dir, config, port, tlsPort);
    await broker.run();
    return broker;
  }

  get running(): boolean { return this.child !== undefined; }
  get pid(): number | undefined { return this.child?.pid; }
  /** What mosquitto wrote to stderr so far (for failure messages). */
  get log(): string { return this.stderr; }

  /** (Re)starts the process on the same ports; resolves once they accept. */
  async run(): Promise<void> {
    if (this.child) return;
    const child = spawn(MOSQUITTO, ['-c', this.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    live.add(child);
    child.stderr!.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = undefined;
      resolve();
    }));
    const alive = () => this.child === child;
    await waitForPort(this.port, 5_000, alive);
    if (this.tlsPort) await waitForPort(this.tlsPort, 5_000, alive);
  }

  /** Stops the process for real with `signal` (SIGKILL after `timeoutMs` if it lingers). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Freezes the broker (SIGSTOP): connections stay open, nothing is answered — a dead link. */
  pause(): void { this.child?.kill('SIGSTOP'); }
  resume(): void { this.child?.kill('SIGCONT'); }
}

/** aedes in-process on a loopback port (default: a free one): the simulator's own embedded broker. */
export { startEmbeddedBroker as startAedes, type EmbeddedBroker as AedesBroker } from '../../hosts/node/broker.ts';

/**
 * A TCP proxy in front of a broker. `inject` slips bytes into the broker-to-panel direction
 * of the live connection, between whole chunks the broker sent.
 */
export class FaultyProxy {
  private readonly pairs = new Set<{ panel: net.Socket; broker: net.Socket }>();
  connections = 0;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<FaultyProxy> {
    let proxy: FaultyProxy | undefined;
    const server = net.createServer((panel) => {
      const broker = net.connect({ host: '127.0.0.1', port: targetPort });
      const pair = { panel, broker };
      proxy!.pairs.add(pair);
      proxy!.connections++;
      panel.pipe(broker);
      broker.pipe(panel);
      const end = () => { panel.destroy(); broker.destroy(); proxy!.pairs.delete(pair); };
      panel.once('close', end);
      broker.once('close', end);
      panel.on('error', end);
      broker.on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultyProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get open(): number { return this.pairs.size; }

  inject(bytes: Uint8Array): void {
    for (const { panel } of this.pairs) panel.write(bytes);
  }

  async close(): Promise<void> {
    for (const { panel, broker } of this.pairs) { panel.destroy(); broker.destroy(); }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
