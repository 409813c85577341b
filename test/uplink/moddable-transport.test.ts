// hosts/moddable/transport.ts on Node: bundled with its Moddable modules replaced by stand-ins
// (test/support/fake-moddable: an ECMA-419 TCP socket over node:net with a 64-byte send
// buffer, Net.resolve over Node's resolver, Timer over Node timers), then run against mosquitto.
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import * as esbuild from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../tools/build.ts';
import { Mosquitto, testPki } from '../support/brokers.ts';
import { Subscriber, readEvent, firstArrivals, range } from './subscriber.ts';
import { Uplink } from '../../src/uplink/uplink.ts';
import { MemoryOutbox } from '../support/memory-outbox.ts';
import { ContactId, Qualifier } from '../../src/core/events.ts';
import type { Connect } from '../../src/uplink/transport.ts';

const fakes: Record<string, string> = {
  'embedded:io/socket/tcp': 'tcp.ts',
  'embedded:io/socket/tcp/tls': 'tls.ts',
  'ssl/session': 'ssl-session.ts',
  net: 'net.ts',
  timer: 'timer.ts',
};

interface Esp32Module {
  moddableConnect: Connect;
  pemToDer(pem: string): Uint8Array[];
  ServiceLoop: new (uptime: () => number, log: (line: string) => void) => { start(target: { service(now: number): void; nextDeadline(): number | undefined }): void; wake(): void; stop(): void };
  FakeTCP: { writesRefused: number; aborts: unknown[]; sendBuffer: number; onAbort?: (err: unknown) => void };
  FakeSession: { mode: string; last?: Record<string, any> };
}

async function loadEsp32Transport(): Promise<Esp32Module> {
  const dir = path.join(repoRoot, 'test/support/fake-moddable');
  const result = await esbuild.build({
    stdin: {
      contents: [
        `export * from '${path.join(repoRoot, 'hosts/moddable/transport.ts')}';`,
        `export { ServiceLoop } from '${path.join(repoRoot, 'hosts/moddable/service.ts')}';`,
        `export { default as FakeTCP } from '${path.join(dir, 'tcp.ts')}';`,
        `export { default as FakeSession } from '${path.join(dir, 'ssl-session.ts')}';`,
      ].join('\n'),
      resolveDir: repoRoot, loader: 'ts',
    },
    bundle: true, write: false, platform: 'node', format: 'esm', logLevel: 'silent',
    plugins: [{
      name: 'moddable-stand-ins',
      setup(build) {
        build.onResolve({ filter: /^(embedded:io\/socket\/tcp(\/tls)?|ssl\/session|net|timer)$/ }, (args) =>
          args.importer.includes(path.join('hosts', 'moddable') + path.sep) ? { path: path.join(dir, fakes[args.path]) } : undefined);
      },
    }],
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'esp32-transport-')), 'transport.mjs');
  writeFileSync(file, result.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}

const esp32 = loadEsp32Transport();

test.serial('ECMA-419 TCP: an uplink over the ESP32 transport delivers every event, paced by onWritable', async (t) => {
  const { moddableConnect, ServiceLoop, FakeTCP } = await esp32;
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/e1/event']);
  t.teardown(() => sub.close());
  const outbox = new MemoryOutbox();
  let runner: { wake(): void; stop(): void } | undefined;
  const uplink = new Uplink(
    { host: 'localhost', port: broker.port, clientId: 'panel-e1', panelId: 'e1', window: 16 }, // a name: Net.resolve first
    { connect: moddableConnect, outbox, wake: () => runner?.wake() },
  );
  const loop = new ServiceLoop(() => performance.now(), (line) => t.log(line));
  runner = loop;
  loop.start({ service: (now: number) => uplink.tick(now), nextDeadline: () => uplink.nextDeadline() });
  t.teardown(() => { uplink.stop(); runner!.stop(); });

  for (let i = 0; i < 100; i++) outbox.addEvent({ code: ContactId.burglary, q: Qualifier.new, zone: 1 + (i % 8) });
  runner.wake();
  await sub.until(() => new Set(sub.messages.map((m) => readEvent(m.payload).seq)).size >= 100, '100 events');
  t.deepEqual(firstArrivals(sub.messages.map((m) => readEvent(m.payload).seq)), range(100));
  t.is(FakeTCP.writesRefused, 0, 'never wrote more than the socket could take');
  t.true(uplink.info().up);
});

test.serial('PEM to DER for the TLS socket: the same bytes as Node reads', async (t) => {
  const { pemToDer } = await esp32;
  const pki = testPki();
  t.deepEqual(Buffer.from(pemToDer(pki.ca)[0]), new X509Certificate(pki.ca).raw);
  t.deepEqual(Buffer.from(pemToDer(pki.clientKey)[0]), createPrivateKey(pki.clientKey).export({ format: 'der', type: 'pkcs8' }));
  t.is(pemToDer(pki.ca + pki.clientCert).length, 2, 'a chain gives every certificate');
});

test.serial('TLS: the options handed to the TLS engine (CA, client certificate, key, SNI)', async (t) => {
  const { moddableConnect, FakeSession } = await esp32;
  const pki = testPki();
  FakeSession.mode = 'ok';
  await roomForTls(t);
  const server = await tlsPeer();
  t.teardown(() => server.close());
  await new Promise<string>((resolve) => {
    const link = moddableConnect(
      { host: '127.0.0.1', port: server.port, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'broker.example' } },
      { onConnect: () => link.close(), onData: () => {}, onClose: resolve },
    );
  });
  const o = FakeSession.last!;
  t.is(o.serverName, 'broker.example');
  t.is(o.protocolVersion, 0x303);
  t.deepEqual(Buffer.from(o.certificate), new X509Certificate(pki.ca).raw);
  t.deepEqual(o.clientCertificates.map((c: Uint8Array) => Buffer.from(c)), [new X509Certificate(pki.clientCert).raw]);
  t.true(o.clientKey instanceof Uint8Array);
});

/** TLS keeps 96 bytes of the TCP room for a record's overhead: these tests need more than the pacing test's 64. */
async function roomForTls(t: ExecutionContext): Promise<void> {
  const { FakeTCP } = await esp32;
  const before = FakeTCP.sendBuffer;
  FakeTCP.sendBuffer = 1024;
  t.teardown(() => { FakeTCP.sendBuffer = before; });
}

/**
 * A peer for the TLS stand-in: answers the client's hello with its own flight, and every later
 * write with a record (the `ssl/session` stand-in passes bytes in clear).
 */
async function tlsPeer(): Promise<{ port: number; received: string[]; close(): void }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (d) => {
      received.push(d.toString());
      socket.write(d.toString().startsWith('client-hello') ? 'server-hello\n' : 'record\n');
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port, received,
    close() { for (const s of sockets) s.destroy(); server.close(); },
  };
}

/** Connects over TLS with the session stand-in failing as `mode` says; the reason the link closed. */
async function tlsFailure(t: ExecutionContext, mode: string, onData: () => void = () => {}): Promise<{ reason: string; connected: boolean }> {
  const { moddableConnect, FakeSession, FakeTCP } = await esp32;
  FakeSession.mode = mode;
  await roomForTls(t);
  const aborts = FakeTCP.aborts.length;
  const server = await tlsPeer();
  t.teardown(() => server.close());
  let connected = false;
  const reason = await new Promise<string>((resolve) => {
    FakeTCP.onAbort = (err) => resolve(`XS abort: ${err}`); // on the device, the end of the story
    t.teardown(() => { FakeTCP.onAbort = undefined; });
    const link = moddableConnect(
      { host: '127.0.0.1', port: server.port, tls: { servername: 'broker.example' } },
      { onConnect: () => { connected = true; link.write(new TextEncoder().encode('connect\n')); }, onData, onClose: resolve },
    );
  });
  t.deepEqual(FakeTCP.aborts.slice(aborts).map(String), [], 'nothing escaped a socket callback (on the ESP32: a restart)');
  return { reason, connected };
}

test.serial('TLS: a certificate that does not verify closes the link; nothing escapes the TCP callback', async (t) => {
  const { reason, connected } = await tlsFailure(t, 'bad-certificate');
  t.false(connected);
  t.is(reason, 'TLS: certificate: auth err');
});

test.serial('TLS: an alert from the peer during the handshake closes the link; nothing escapes', async (t) => {
  t.is((await tlsFailure(t, 'alert')).reason, 'TLS: alert: 2, 40');
  const closed = await tlsFailure(t, 'close-notify');
  t.false(closed.connected, 'a close_notify in the handshake is no connection');
  t.regex(closed.reason, /^TLS: alert 1, 0 during the handshake$/);
});

test.serial('TLS: a record that fails its check after the handshake closes the link; nothing escapes', async (t) => {
  const { reason, connected } = await tlsFailure(t, 'bad-record');
  t.true(connected);
  t.is(reason, 'TLS: recordProtocol: auth failed');
});

test.serial('TLS: an exception in the consumer\'s own data handler closes the link too', async (t) => {
  const { reason, connected } = await tlsFailure(t, 'ok', () => { throw new Error('session broke'); });
  t.true(connected);
  t.is(reason, 'read failed: session broke');
});

test.serial('TCP: an exception in the consumer\'s data handler closes the link; nothing escapes', async (t) => {
  const { moddableConnect, FakeTCP } = await esp32;
  const aborts = FakeTCP.aborts.length;
  const server = await tlsPeer();
  t.teardown(() => server.close());
  const reason = await new Promise<string>((resolve) => {
    const link = moddableConnect(
      { host: '127.0.0.1', port: server.port },
      { onConnect: () => link.write(new TextEncoder().encode('hello\n')), onData: () => { throw new Error('session broke'); }, onClose: resolve },
    );
  });
  t.is(reason, 'read failed: session broke');
  t.deepEqual(FakeTCP.aborts.slice(aborts).map(String), []);
});
