// `npm start`: the whole panel on this machine, no hardware. The firmware's app on the Node
// host (simulated pins, files for flash), an embedded MQTT broker (or --broker URL), the
// virtual panel page with its control API, and the decoded event stream in the terminal.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Panel } from '../../src/app.ts';
import { boot } from '../../src/boot.ts';
import { parseBrokerUrl, type PanelConfig } from '../../src/config.ts';
import { board } from '../../drivers/boards/esp32.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import { firstBootFile, flashDir, lockDataDir, writeFirstBootFile } from './data-dir.ts';
import { NodeHost } from './host.ts';
import { boardIds, loadBoard } from './boards.ts';
import { LiveFeed } from './live-feed.ts';
import { virtualPanel } from './virtual-panel.ts';
import { requestListener, type RouteHandler } from './web.ts';
import { servePortal } from './http.ts';
import { createPortal } from '../../src/portal/portal.ts';
import { LOOPBACK_NAMES } from '../../src/portal/names.ts';

const usage = `Usage: npm start -- [options]

  --data DIR     where the panel keeps its flash and first-boot codes (default ./data)
  --port N       the virtual panel's HTTP port on 127.0.0.1 (default: a free one)
  --broker URL   a real broker (mqtt://host:1883, mqtts://host:8883) instead of the embedded one
  --speed N      the panel's clock runs N times faster (default 1): delays pass quickly in demos
  --board ID     the board simulated, its GPIO rules and default pins: ${boardIds().join(', ')} (default esp32)
  --help         this text`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        data: { type: 'string', default: 'data' },
        port: { type: 'string', default: '0' },
        broker: { type: 'string' },
        speed: { type: 'string', default: '1' },
        board: { type: 'string', default: 'esp32' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (0: a free one), got ${values.port}`);
    const speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0 || speed > 1000) fail(`--speed must be a number above 0 and at most 1000, got ${values.speed}`);
    if (values.broker !== undefined && typeof parseBrokerUrl(values.broker) === 'string') {
      fail(`--broker ${values.broker}: ${parseBrokerUrl(values.broker) as string}`);
    }
    if (!boardIds().includes(values.board!)) fail(`--board ${values.board}: no such board; choose one of ${boardIds().join(', ')}`);
    return { data: path.resolve(values.data!), port, speed, broker: values.broker, board: values.board! };
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${usage}`);
  }
}

const clockTime = () => new Date().toTimeString().slice(0, 8);
const print = (line: string) => process.stdout.write(`${line}\n`);
/** Stream lines wait until the banner is out, so the addresses come first. */
let held: string[] | undefined = [];
const stream = (line: string) => (held ? held.push(line) : print(`${clockTime()}  ${line}`));

async function main(): Promise<void> {
  const opts = options();
  const relative = path.relative(process.cwd(), opts.data);
  const shown = relative === '' ? '.' : relative.startsWith('..') ? opts.data : relative;
  let releaseLock: () => void;
  try {
    releaseLock = lockDataDir(opts.data);
  } catch (err) {
    return fail((err as Error).message, 1);
  }

  const board = await loadBoard(opts.board);
  let panel: Panel | undefined;
  let config: PanelConfig | undefined;
  const host = new NodeHost({
    flashDir: flashDir(opts.data), speed: opts.speed, board,
    log: (line) => stream(`panel   ${line}`),
    wiring: () => (panel ? panel.config() : config)?.pins,
  });

  // The broker: embedded unless --broker names one. The config follows it, all else kept.
  let broker: EmbeddedBroker | undefined;
  if (!opts.broker) broker = await startEmbeddedBroker();
  const url = opts.broker ?? broker!.url;

  // The same boot as the firmware's (src/boot.ts), on the board the simulator stands in for: the
  // simulator refuses the pins the real panel would.
  const booted = boot(host, board, {
    newPanelId: () => `sim-${Array.from(host.randomBytes(4), (b) => b.toString(16).padStart(2, '0')).join('')}`,
    onFirstBoot: (first) => writeFirstBootFile(opts.data, first),
    prepare: (found) => (config = found.broker.url === url ? found : { ...found, broker: { ...found.broker, url } }),
  });
  if (!booted.ok) {
    await broker?.close();
    releaseLock();
    if (!booted.config) {
      return fail(`The saved config in ${flashDir(shown)} cannot be used:\n  ${booted.problems.join('\n  ')}\n` +
        `Fix it, or start afresh with another --data directory (or delete ${shown}).`, 1);
    }
    return fail(`The panel cannot start: ${booted.problems.join('; ')}`, 1);
  }
  panel = booted.panel;
  config = booted.config;
  for (const problem of booted.problems) print(`config: ${problem}`);
  if (booted.firstBoot) {
    print(`First boot of panel ${config.panel.id}. Its codes were made up just now and are shown this once:`);
    print(`  installer code  ${booted.firstBoot.installerCode}   (the portal's installer login)`);
    print(`  master code     ${booted.firstBoot.masterCode}   (user 1: arm, disarm, manage users)`);
    print(`They are also kept in ${firstBootFile(shown)}, readable by you only.\n`);
  }

  const zoneName = (zone: number) => panel!.config().alarm.zones.find((z) => z.number === zone)?.name;
  const { username, password, ca, prefix } = config.broker;
  const uplinkKey = () => panel!.config().uplink;
  const feed = await LiveFeed.start({ url, prefix, panelId: config.panel.id, username, password, ca, print: stream, zoneName, uplinkKey });
  // The feed listens before the panel's first round: it connects then, and sends what boot logged.
  host.drive(panel);

  // The panel's own portal on a server of its own, as on the ESP32 (where it is the panel's
  // web server); the virtual panel is the simulator's stand-in for the hardware around it.
  let portal: Awaited<ReturnType<typeof servePortal>>;
  try {
    portal = await servePortal(createPortal(panel, host, { pinRules: (pins) => board.pinProblems(pins), names: () => LOOPBACK_NAMES }), { host: '127.0.0.1', port: 0 });
  } catch (err) {
    return fail(`Cannot serve the portal on 127.0.0.1: ${(err as Error).message}`, 1);
  }

  const sim = virtualPanel(panel, host);
  const handlers: RouteHandler[] = [sim.handler];
  const pages: Array<[string, string]> = [['Virtual panel', '/']];
  const server = http.createServer(requestListener(handlers, (line) => stream(`http    ${line}`)));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    return fail(`Cannot serve the virtual panel on 127.0.0.1:${opts.port}: ${(err as Error).message}`, 1);
  }
  const web = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const topics = `${config.broker.prefix}/${config.panel.id}/#`;
  print(`Open alarm panel, simulated: the firmware's app on the Node host\n`);
  for (const [name, at] of pages) print(`  ${name.padEnd(16)}${web}${at}`);
  print(`  ${'Portal'.padEnd(16)}${portal.url}/  (the panel's own set-up page: installer code)`);
  print(`  ${'Broker'.padEnd(16)}${url}${broker ? '  (embedded aedes, MQTT 3.1.1)' : ''}`);
  print(`  ${'Panel id'.padEnd(16)}${config.panel.id}  (topics ${topics})`);
  print(`  ${'Board'.padEnd(16)}${board.title}  (--board ${board.id}: its GPIO rules and default pins)`);
  print(`  ${'Data'.padEnd(16)}${shown}${booted.firstBoot ? '' : `  (codes of the first boot: ${firstBootFile(shown)})`}`);
  if (opts.speed !== 1) print(`  ${'Clock'.padEnd(16)}${opts.speed}× real time`);
  print(`\nLive events from the broker (Ctrl-C stops the panel):`);
  const waiting = held ?? [];
  held = undefined;
  for (const line of waiting) stream(line);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      print(`${signal} again: stopping now, without waiting`);
      process.exit(130);
    }
    stopping = true;
    print(`\n${signal}: stopping the panel…`);
    const force = setTimeout(() => { print('shutdown is taking too long; stopping now'); process.exit(1); }, 8000);
    force.unref();
    host.stop();
    const wasUp = panel!.status().uplink?.up === true;
    const offline = feed.offline(1500);
    panel!.close(); // publishes "offline" and disconnects; the journal is already on disk
    if (wasUp) await offline;
    sim.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await portal.close();
    await feed.close();
    await broker?.close();
    releaseLock();
    print(`Stopped. The panel's data is in ${shown}; npm start carries on from it.`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

await main();
