// TLS on the real Moddable runtime: the lin build under mcsim against mosquitto's TLS listener
// (test PKI in test/support/brokers.ts). A broker whose certificate the panel does not trust
// must never stop the panel: the failure is logged, the uplink retries with its backoff, the
// process stays up and the alarm path still drives the siren. Then the same broker with the
// CA the panel trusts: the link comes up over Moddable's TLS engine.
// Without the SDK's host tools ($MODDABLE), one line says so and nothing here runs.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../hosts/node/file-storage.ts';
import { StateStore } from '../../src/store/state.ts';
import { saveConfig } from '../../src/app.ts';
import { firstBootConfig, validateConfig } from '../../src/config.ts';
import { Mosquitto, testPki } from '../support/brokers.ts';
import { Subscriber } from '../uplink/subscriber.ts';
import { unavailable, buildLin } from '../../tools/moddable/sdk.ts';
import { Display, LinPanel } from '../../tools/moddable/lin-panel.ts';

if (unavailable) {
  console.log(`moddable: skipped (${unavailable})`);
  test.skip('moddable: TLS on the lin build (needs the SDK host tools)', () => {});
} else {
  const lin = buildLin();

  /** A CA of its own, that signed nothing the broker holds. */
  const otherCa = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'other-ca-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=another CA'], { stdio: 'ignore' });
    return readFileSync(path.join(dir, 'ca.pem'), 'utf8');
  };

  /** The lin panel on a fresh flash with `broker` as its uplink; a 24h loop on GPIO 32 that sounds the siren while disarmed. */
  async function panelWith(t: import('ava').ExecutionContext, id: string, broker: { url: string; ca: string }) {
    const build = await lin;
    if (build.code !== 0) throw new Error(build.output.slice(-4000));
    const display = await Display.start();
    const server = await LinPanel.listen();
    const flash = mkdtempSync(path.join(tmpdir(), 'lin-flash-'));
    const first = firstBootConfig(id, (n) => new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)));
    const raw = JSON.parse(JSON.stringify(first.config));
    raw.broker.url = broker.url;
    raw.broker.ca = broker.ca;
    raw.alarm.zones[0].type = '24h';
    delete raw.alarm.zones[0].modes;
    delete raw.alarm.zones[0].chime;
    raw.alarm.zones[0].sirenWhenDisarmed = true;
    const checked = validateConfig(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const storage = new FileStorage(flash);
    saveConfig(new StateStore(storage), checked.config);
    storage.replace('sim-control', new TextEncoder().encode(String((server.address() as { port: number }).port)));
    const panel = LinPanel.start(build.so, flash, display, server);
    t.teardown(async () => { await panel.kill(); server.close(); await display.stop(); });
    return panel.powerOn(1);
  }

  test.serial('lin: a broker certificate the panel does not trust is logged and retried; the panel stays up and sounds its siren', async (t) => {
    t.timeout(600_000); // the build, then the run
    const broker = await Mosquitto.start({ tls: true });
    t.teardown(() => broker.stop());
    const panel = await panelWith(t, 'lintls1', { url: `mqtts://127.0.0.1:${broker.tlsPort}`, ca: otherCa() });

    try {
      await panel.console(/uplink: down \(link closed: TLS: certificate: auth err\)/, 'the certificate refused, logged', 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nconsole:\n${panel.stdout.slice(-3000)}\nmosquitto:\n${broker.log.slice(-2000)}`);
    }
    t.log(panel.stdout.match(/uplink: down \(.*\)/)![0]);
    // The uplink tries again (backoff from 1 s): mosquitto sees a second TLS connection, refused the same way.
    const attempts = () => broker.log.match(new RegExp(`New connection from 127\\.0\\.0\\.1:\\d+ on port ${broker.tlsPort}`, 'g'))?.length ?? 0;
    const until = performance.now() + 30_000;
    while (attempts() < 2 && performance.now() < until && !panel.exit) await new Promise((r) => setTimeout(r, 200));
    t.true(attempts() >= 2, `connections seen by mosquitto:\n${broker.log.slice(-2000)}`);

    // Still running, still answering on the control link, still an alarm panel.
    const from = panel.control.length;
    panel.send('mem');
    await panel.line(/^mem -?\d+ -?\d+$/, 'the heap figures', from);
    panel.pin(32, 1);
    await panel.output(25, 1, 'the siren on (24h loop cut)');
    const again = panel.control.length;
    panel.send('mem');
    await panel.line(/^mem -?\d+ -?\d+$/, 'the heap figures again', again);
    t.is(panel.exit, undefined, 'mcsim is still running');
    t.notRegex(panel.stdout, /XS abort/);
  });

  test.serial('lin: with the CA that signed the broker, the panel connects over TLS', async (t) => {
    t.timeout(600_000);
    const broker = await Mosquitto.start({ tls: true });
    t.teardown(() => broker.stop());
    const sub = await Subscriber.connect(`mqtt://127.0.0.1:${broker.port}`, ['alarm/lintls2/#']);
    t.teardown(() => sub.close());
    const panel = await panelWith(t, 'lintls2', { url: `mqtts://127.0.0.1:${broker.tlsPort}`, ca: testPki().ca });
    try {
      await sub.until(() => sub.on('alarm/lintls2/status').some((m) => Buffer.from(m.payload).toString() === 'online'), 'online over TLS', 60_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nconsole:\n${panel.stdout.slice(-3000)}\nmosquitto:\n${broker.log.slice(-2000)}`);
    }
    await panel.console(/uplink: connected/, 'the uplink up');
    t.notRegex(panel.stdout, /XS abort/);
  });
}
