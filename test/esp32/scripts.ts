// What happens to the virtual ESP32 after main.ts has booted on it, one script per test.
// Each runs inside XS and on Node alike and returns plain data for the ava test to check;
// the two engines must return the same.
import type { HttpResult, World } from '../support/fake-moddable/virtual/world';
import type { Storage } from '../../src/store/storage';
import { fromUtf8, utf8 } from '../../src/text';

const s = 1000;
const SIREN = 25;
const DOOR = 32;

const text = (r: HttpResult) => fromUtf8(r.body);
/** Host (and Origin) as a phone's browser on the portal's own page sends them: the panel's address. */
const address = (world: World) => world.ip() ?? '192.168.4.1';
const own = (world: World): Array<[string, string]> => [['Host', address(world)], ['Origin', `http://${address(world)}`]];
function get(world: World, path: string): HttpResult {
  return world.http({ method: 'GET', path, headers: [['Host', address(world)]] });
}
function post(world: World, path: string, value: unknown): HttpResult {
  const body = utf8(JSON.stringify(value));
  return world.http({ method: 'POST', path, headers: [...own(world), ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body });
}
function state(world: World): any {
  const r = get(world, '/state');
  return r.status === 200 ? JSON.parse(text(r)) : { status: r.status, dropped: r.dropped };
}
const summary = (r: HttpResult) => ({
  status: r.status, dropped: r.dropped, framing: r.framing, writes: r.writes, headers: r.headers, length: r.body.length,
});

/** Host modules a script uses itself, handed in by the bundle's entry (they import Moddable modules). */
export interface HostModules {
  FlashStorage: new (root: string) => Storage;
}

type Script = (world: World, params: Record<string, any>, host: HostModules) => unknown;

export const scripts: Record<string, Script> = {
  /** Boots, then looks at what a phone near the panel sees. */
  'look around'(world, params) {
    world.advance(2 * s);
    const arm = params.masterCode === undefined ? null : JSON.parse(text(post(world, '/keypad', { action: 'arm_away', code: params.masterCode })));
    return {
      arm,
      accessPoint: world.accessPoint ?? null,
      dns: ['connectivitycheck.gstatic.com', 'captive.apple.com', 'example.org'].map((n) => world.dnsQuery(n) ?? null),
      httpPorts: world.httpServers.map((h) => h.port),
      state: state(world),
      siren: world.level(SIREN),
      restarts: world.restarts,
    };
  },

  /** A minute with a config that cannot be used: the panel must stay up (no restart), the siren off. */
  'a minute unusable'(world) {
    world.advance(60 * s);
    return {
      accessPoint: world.accessPoint ?? null,
      dns: world.dnsQuery('example.org') ?? null,
      state: state(world),
      siren: world.level(SIREN),
      sirenEverOn: world.hardware.some((h) => h.endsWith(`GPIO ${SIREN} := 1`)),
      restarts: world.restarts,
      connectRequests: world.connectRequests,
    };
  },

  /** Armed at home, the router goes away: Wi-Fi retries with backoff while a door still sets the siren off. */
  'wifi drop while armed'(world, params) {
    world.advance(3 * s);
    const joined = { connectRequests: world.connectRequests.length, ip: world.ip() ?? null, clockSets: [...world.clockSets] };
    const armed = JSON.parse(text(post(world, '/keypad', { action: 'arm_away', code: params.masterCode })));
    world.advance(2 * s);
    world.dropNetwork('home');
    world.advance(35 * s); // the exit delay ends while the Wi-Fi is down
    world.setPin(DOOR, 1); // the door opens
    world.advance(31 * s); // entry delay: 30 s
    // No phone reaches the portal while the panel has no address (the portal answers only to its
    // own addresses): what happened offline is read from the siren, and from the panel once back.
    const sirenAfterEntry = world.level(SIREN);
    const offline = world.connectRequests.map((c) => c.at);
    world.restoreNetwork({ ssid: 'home', password: params.password });
    world.advance(70 * s);
    const back = state(world).panel;
    const duringExit = back.events.some((e: { code: number; q: number }) => e.code === 401 && e.q === 3) ? 'armed_away' : 'not closed';
    const afterEntry = { mode: back.mode, siren: sirenAfterEntry };
    return {
      joined, armed, duringExit, afterEntry, offline,
      after: { connectRequests: world.connectRequests.map((c) => c.at), ip: world.ip() ?? null, siren: world.level(SIREN) },
      tcpConnects: world.tcpConnects.length,
      events: state(world).panel.events,
    };
  },

  /** Time.ticks crosses the signed 32-bit wrap a few seconds after boot: delays must still last as long. */
  'ticks wrap'(world, params) {
    world.advance(1 * s);
    const armed = JSON.parse(text(post(world, '/keypad', { action: 'arm_away', code: params.masterCode })));
    const wrapAt = world.now;
    world.advance(31 * s);
    const afterExit = state(world).panel.mode;
    world.setPin(DOOR, 1);
    const opened = world.now;
    let sirenAt: number | undefined;
    for (let t = 0; t < 40 && sirenAt === undefined; t++) {
      world.advance(1 * s);
      if (world.level(SIREN) === 1) sirenAt = world.now;
    }
    let quietAt: number | undefined;
    for (let t = 0; t < 200 && quietAt === undefined; t++) {
      world.advance(1 * s);
      if (world.level(SIREN) === 0) quietAt = world.now;
    }
    return { armed: armed.ok, wrapAt, ticksNow: world.ticks, afterExit, entryMs: sirenAt! - opened, soundedMs: quietAt! - sirenAt! };
  },

  /** A minute on the owner's Wi-Fi: what SNTP was asked, and what the clock became. */
  'sntp'(world) {
    world.advance(60 * s);
    return {
      asked: world.sntpRequests,
      clockSets: world.clockSets,
      wallTime: state(world).panel.wallTime,
      serial: world.serial.filter((l) => l.startsWith('time:')),
    };
  },

  /** The set-up button: a short press does nothing; held 3 s it starts set-up mode. */
  'setup button'(world, params) {
    world.advance(1 * s);
    const pin = params.pin ?? 0; // the BOOT button: GPIO 0 (GPIO 9 on the ESP32-C3)
    world.setPin(pin, 0);
    world.advance(params.holdMs);
    world.setPin(pin, 1);
    world.advance(2 * s);
    return {
      accessPoint: world.accessPoint ?? null,
      stationUp: world.ip() === '192.168.1.50',
      state: state(world).mode,
      button: world.hardware.filter((h) => h.includes(` GPIO ${pin} `)),
    };
  },

  /** The HTTP adapter, request by request. */
  'http exchanges'(world) {
    world.advance(1 * s);
    const echo = world.http({
      method: 'POST', path: '/echo?x=1',
      headers: [...own(world), ['X-Mixed-Case', 'A'], ['Accept', 'text/html'], ['accept', 'application/json'], ['Content-Length', '5']],
      body: Uint8Array.of(1, 2, 3, 4, 5),
    });
    const big = 40_000;
    const tooBig = world.http({ method: 'POST', path: '/api/config/import?echo', headers: [...own(world), ['Content-Length', String(big)]], body: new Uint8Array(big) });
    const badLength = world.http({ method: 'POST', path: '/echo', headers: [...own(world), ['Content-Length', '12abc']], body: new Uint8Array(12) });
    const atLimit = world.http({ method: 'POST', path: '/api/config/import?echo', headers: [...own(world), ['Content-Length', String(32 * 1024)]], body: new Uint8Array(32 * 1024).fill(7) });
    const small = get(world, '/big?n=100');
    const large = get(world, '/big?n=20000');
    const crlf = get(world, '/crlf');
    const thrown = get(world, '/throw');
    const headerBomb = world.http({ method: 'GET', path: '/echo', headers: Array.from({ length: 200 }, (_, i): [string, string] => [`x-h${i}`, 'y'.repeat(60)]) });
    // Another name (DNS rebinding) or a change without our Origin: answered before any body is read.
    const five = Uint8Array.of(1, 2, 3, 4, 5);
    const foreign = world.http({ method: 'POST', path: '/echo', headers: [['Host', 'evil.example'], ['Origin', 'http://evil.example'], ['Content-Length', '5']], body: five });
    const foreignBig = world.http({ method: 'POST', path: '/echo', headers: [['Host', 'evil.example:80'], ['Content-Length', String(big)]], body: new Uint8Array(big) });
    const foreignGet = world.http({ method: 'GET', path: '/state', headers: [['Host', 'evil.example']] });
    const noHost = world.http({ method: 'GET', path: '/state' });
    const noOrigin = world.http({ method: 'POST', path: '/echo', headers: [['Host', address(world)], ['Content-Length', '5']], body: five });
    const otherOrigin = world.http({ method: 'POST', path: '/echo', headers: [['Host', address(world)], ['Origin', 'http://evil.example'], ['Content-Length', '5']], body: five });
    const largeOk = large.body.every((b, i) => b === i % 251);
    const restartsBefore = world.restarts;
    const restart = get(world, '/restart');
    return {
      echo: { ...summary(echo), json: JSON.parse(text(echo)) },
      tooBig: { ...summary(tooBig), text: text(tooBig) },
      badLength: { ...summary(badLength), text: text(badLength) },
      atLimit: { ...summary(atLimit), bodyHexLength: JSON.parse(text(atLimit)).body.length },
      small: summary(small),
      large: { ...summary(large), largeOk },
      crlf: { ...summary(crlf), text: text(crlf) },
      thrown: { ...summary(thrown), text: text(thrown) },
      headerBomb: summary(headerBomb),
      restart: { status: restart.status, body: text(restart), restarts: world.restarts - restartsBefore },
      refused: [foreign, foreignBig, foreignGet, noHost, noOrigin, otherOrigin].map((r) => [r.status, r.bodyRead, text(r)]),
      after: state(world).mode,
      serial: world.serial.filter((l) => l.startsWith('portal:')),
    };
  },

  /** Clients that connect and send nothing: a cap on connections, and a timeout on each request. */
  'slow clients'(world) {
    world.advance(1 * s);
    const held = Array.from({ length: 6 }, () => world.httpHold({ headers: [['Host', address(world)]] }));
    const atOnce = held.map((h) => h.closed());
    const whileHeld = get(world, '/state'); // one more connection: over the cap
    world.advance(9 * s);
    const after9s = held.map((h) => h.closed());
    world.advance(1 * s + 1);
    const after10s = held.map((h) => h.closed());
    const afterwards = get(world, '/state');
    // Body limits by path: a small one for a code, a whole config for an import.
    const big = (path: string, n: number) => world.http({ method: 'POST', path, headers: [...own(world), ['Content-Length', String(n)]], body: new Uint8Array(n) });
    const keypadBig = big('/api/keypad', 2048);
    const importBig = big('/api/config/import', 20_000);
    return {
      atOnce, whileHeld: whileHeld.status ?? whileHeld.dropped, after9s, after10s, afterwards: afterwards.status,
      keypadBig: [keypadBig.status, keypadBig.bodyRead, text(keypadBig)], importBig: [importBig.status, importBig.bodyRead],
      serial: world.serial.filter((l) => l.startsWith('portal:')),
    };
  },

  /** FlashStorage through the stand-in `file` module, away from the panel's own files. */
  'flash storage'(world, _params, { FlashStorage }) {
    const root = '/scratch/';
    const flash = new FlashStorage(root);
    const out: Record<string, unknown> = {};
    out.absent = [flash.read('log').length, flash.size('log')];
    flash.append('log', Uint8Array.of(1, 2, 3));
    flash.append('log', Uint8Array.of(4, 5).subarray(1)); // a view into a larger buffer
    out.appended = Array.from(flash.read('log'));
    out.size = flash.size('log');
    flash.replace('state', Uint8Array.of(9, 9));
    flash.replace('state', Uint8Array.of(8));
    out.replaced = Array.from(flash.read('state'));
    world.files.set(`${root}state.tmp`, Uint8Array.of(6, 6, 6)); // a replace cut before its rename
    flash.replace('state', Uint8Array.of(7, 7));
    out.afterCut = Array.from(flash.read('state'));
    world.files.set(`${root}outbox`, new Uint8Array(0)); // a cut between create and first write
    try { out.empty = [flash.read('outbox').length, flash.size('outbox')]; } catch (err) { out.empty = (err as Error).message; }
    flash.append('outbox', Uint8Array.of(4));
    out.afterEmpty = Array.from(flash.read('outbox'));
    flash.remove('outbox');
    flash.remove('log');
    flash.remove('log');
    out.removed = flash.size('log');
    const refusals: string[] = [];
    for (const name of ['../etc', 'a.tmp', '', 'x'.repeat(40)]) {
      try { flash.read(name); refusals.push(`${name}: read`); } catch (err) { refusals.push((err as Error).message); }
    }
    out.refusals = refusals;
    out.files = Object.keys(world.flash()).filter((p) => p.startsWith(root));
    return out;
  },
};
