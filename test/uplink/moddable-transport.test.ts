// hosts/moddable/transport.ts on Node: bundled with its Moddable modules replaced by stand-ins
// (test/support/fake-moddable: an ECMA-419 TCP socket over node:net with a 64-byte send
// buffer, Net.resolve over Node's resolver, Timer over Node timers), then run against mosquitto.
import test from 'ava';
import * as esbuild from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../tools/build.ts';
import { Mosquitto, testPki } from '../support/brokers.ts';
import { Subscriber, readEvent, firstArrivals, range } from './subscriber.ts';
import { Session } from '../../src/uplink/session.ts';
import { MemoryOutbox } from '../support/memory-outbox.ts';
import { ContactId, Qualifier } from '../../src/core/events.ts';
import type { Connect } from '../../src/uplink/transport.ts';

const fakes: Record<string, string> = {
  'embedded:io/socket/tcp': 'tcp.ts',
  'embedded:io/socket/tcp/tls': 'tls.ts',
  net: 'net.ts',
  timer: 'timer.ts',
};

interface Esp32Module {
  moddableConnect: Connect;
  pemToDer(pem: string): Uint8Array[];
  runSession(session: Session, uptime: () => number): { wake(): void; stop(): void };
  FakeTCP: { writesRefused: number };
  FakeTLS: { last?: Record<string, any> };
}

async function loadEsp32Transport(): Promise<Esp32Module> {
  const dir = path.join(repoRoot, 'test/support/fake-moddable');
  const result = await esbuild.build({
    stdin: {
      contents: [
        `export * from '${path.join(repoRoot, 'hosts/moddable/transport.ts')}';`,
        `export { default as FakeTCP } from '${path.join(dir, 'tcp.ts')}';`,
        `export { default as FakeTLS } from '${path.join(dir, 'tls.ts')}';`,
      ].join('\n'),
      resolveDir: repoRoot, loader: 'ts',
    },
    bundle: true, write: false, platform: 'node', format: 'esm', logLevel: 'silent',
    plugins: [{
      name: 'moddable-stand-ins',
      setup(build) {
        build.onResolve({ filter: /^(embedded:io\/socket\/tcp(\/tls)?|net|timer)$/ }, (args) =>
          args.importer.endsWith(path.join('hosts', 'moddable', 'transport.ts')) ? { path: path.join(dir, fakes[args.path]) } : undefined);
      },
    }],
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'esp32-transport-')), 'transport.mjs');
  writeFileSync(file, result.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}

const esp32 = loadEsp32Transport();

test('ECMA-419 TCP: a session over the ESP32 transport delivers every event, paced by onWritable', async (t) => {
  const { moddableConnect, runSession, FakeTCP } = await esp32;
  const broker = await Mosquitto.start();
  t.teardown(() => broker.stop());
  const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/e1/event']);
  t.teardown(() => sub.close());
  const outbox = new MemoryOutbox();
  let runner: { wake(): void; stop(): void } | undefined;
  const session = new Session(
    { host: 'localhost', port: broker.port, clientId: 'panel-e1', panelId: 'e1', window: 16 }, // a name: Net.resolve first
    { connect: moddableConnect, outbox, wake: () => runner?.wake() },
  );
  runner = runSession(session, () => performance.now());
  t.teardown(() => { session.stop(); runner!.stop(); });

  for (let i = 0; i < 100; i++) outbox.addEvent({ code: ContactId.burglary, q: Qualifier.new, zone: 1 + (i % 8) });
  runner.wake();
  await sub.until(() => new Set(sub.messages.map((m) => readEvent(m.payload).seq)).size >= 100, '100 events');
  t.deepEqual(firstArrivals(sub.messages.map((m) => readEvent(m.payload).seq)), range(100));
  t.is(FakeTCP.writesRefused, 0, 'never wrote more than the socket could take');
  t.true(session.info().up);
});

test('PEM to DER for the TLS socket: the same bytes as Node reads', async (t) => {
  const { pemToDer } = await esp32;
  const pki = testPki();
  t.deepEqual(Buffer.from(pemToDer(pki.ca)[0]), new X509Certificate(pki.ca).raw);
  t.deepEqual(Buffer.from(pemToDer(pki.clientKey)[0]), createPrivateKey(pki.clientKey).export({ format: 'der', type: 'pkcs8' }));
  t.is(pemToDer(pki.ca + pki.clientCert).length, 2, 'a chain gives every certificate');
});

test('TLS: the options handed to Moddable\'s TLS socket (CA, client certificate, key, SNI)', async (t) => {
  const { moddableConnect, FakeTLS } = await esp32;
  const pki = testPki();
  const closed = await new Promise<string>((resolve) => {
    moddableConnect(
      { host: '127.0.0.1', port: 8883, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'broker.example' } },
      { onConnect: () => {}, onData: () => {}, onClose: resolve },
    );
  });
  t.regex(closed, /cannot open 127\.0\.0\.1:8883: TLS is not simulated/, 'a constructor that throws is a closed link, not a crash');
  const o = FakeTLS.last!;
  t.is(o.host, 'broker.example');
  t.is(o.address, '127.0.0.1');
  t.is(o.secure.protocolVersion, 0x303);
  t.deepEqual(Buffer.from(o.secure.certificate), new X509Certificate(pki.ca).raw);
  t.deepEqual(o.secure.clientCertificates.map((c: Uint8Array) => Buffer.from(c)), [new X509Certificate(pki.clientCert).raw]);
  t.true(o.secure.clientKey instanceof Uint8Array);
  t.truthy(o.TCP.io, 'TCP underneath');
});
