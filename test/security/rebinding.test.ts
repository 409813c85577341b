// Attack: DNS rebinding (issue 12, finding 3). A page on evil.example whose name then resolves
// to the panel is, for the browser, the panel's own origin: on a portal that does not check
// Host, its script read the mode (armed_away: nobody home) and typed wrong codes until the
// lockout shut the owner out. Real Chromium, with evil.example mapped to 127.0.0.1 by its
// resolver. The rebinding itself is played by a front server on that address: its first
// answer is the attacker's page (the first DNS answer), and every later request goes,
// untouched, Host header and all, to the panel's real portal server (the rebound answer).
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { servePortal } from '../../hosts/node/http.ts';
import { launchChromium } from '../portal/browser.ts';
import { SimProcess, tempDataDir } from '../node-host/sim-process.ts';
import { simPortal } from '../portal/support.ts';

let browser: Browser;
test.before(async () => { browser = await launchChromium(['--host-resolver-rules=MAP evil.example 127.0.0.1']); });
test.after.always(async () => { await browser?.close(); });

/**
 * The rebinding, played on 127.0.0.1: the first request gets `page` (the attacker's DNS answer),
 * every later one goes untouched, Host header and all, to the panel's server on `port`.
 */
async function rebinder(port: number, page = attack) {
  let rebound = false;
  const front = http.createServer((req, res) => {
    if (!rebound) {
      rebound = true;
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    port: (front.address() as AddressInfo).port,
    close: () => { front.closeAllConnections(); front.close(); },
  };
}

const attack = `<!doctype html><title>cute cats</title><script>
  window.result = (async () => {
    const out = { keypad: 0, mode: null, page: 0, codes: false, posts: [] };
    const k = await fetch('/api/keypad');
    out.keypad = k.status;
    if (k.ok) out.mode = (await k.json()).mode;
    const p = await fetch('/');
    out.page = p.status;
    out.codes = /type the code|Keypad/i.test(await p.text());
    for (let i = 0; i < 10; i++) {
      const r = await fetch('/api/keypad', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'disarm', code: '0000' + i }) });
      out.posts.push(r.status);
    }
    return out;
  })();
</script>`;

test('a page on another name, rebound to the panel, cannot read the mode nor type codes (421)', async (t) => {
  const { panel, handler, first, host } = simPortal();
  const served = await servePortal(handler);
  t.teardown(() => served.close());
  t.is(panel.keypad('arm_away', first.masterCode).ok, true);
  host.runTo(panel, host.clock.uptime() + 60_000);
  t.is(panel.snapshot().mode, 'armed_away');

  const front = await rebinder(served.port);
  t.teardown(() => front.close());

  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://evil.example:${front.port}/`);
  const seen = await page.evaluate(() => (globalThis as any).result);

  t.is(seen.keypad, 421, 'GET /api/keypad from evil.example is misdirected');
  t.is(seen.mode, null, 'the mode is not readable');
  t.is(seen.page, 421);
  t.false(seen.codes, 'nor the page');
  t.deepEqual(seen.posts, Array(10).fill(421), 'no code reaches the panel');
  t.is(panel.snapshot().lockout, 0, 'the owner is not locked out');
  t.is(panel.snapshot().mode, 'armed_away');

  // The panel's own name still works, in the same browser.
  const own = await context.newPage();
  await own.goto(served.url);
  const mode = await own.evaluate(async () => ((await (await fetch("/api/keypad")).json()) as { mode: string }).mode);
  t.is(mode, 'armed_away');
});

test('the simulator (npm start): its portal and its virtual panel both refuse a rebound name', async (t) => {
  const sim = await SimProcess.start(tempDataDir());
  t.teardown(() => sim.kill());
  const probe = `<!doctype html><script>
    window.result = (async () => {
      const out = [];
      for (const [method, path, body] of [['GET', '/api/keypad'], ['POST', '/api/keypad', { action: 'disarm', code: '0000' }],
        ['GET', '/sim/state'], ['POST', '/sim/keypad', { action: 'disarm', code: '0000' }], ['POST', '/sim/zone', { zone: 1, open: true }]]) {
        const r = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
        out.push(method + ' ' + path + ' ' + r.status);
      }
      return out;
    })();
  </script>`;
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const seen: string[] = [];
  for (const target of [sim.portal, sim.web]) {
    const front = await rebinder(Number(new URL(target).port), probe);
    t.teardown(() => front.close());
    const page = await context.newPage();
    await page.goto(`http://evil.example:${front.port}/`);
    seen.push(...(await page.evaluate(() => (globalThis as any).result)) as string[]);
  }
  // Each server answers for its own paths: every request through the rebound name is 421.
  t.deepEqual(seen.filter((line) => !line.endsWith(' 421')), [], seen.join(' | '));
  const state = await sim.get('/sim/state');
  t.is(state.snapshot.lockout, 0, 'no code reached the panel');
});
