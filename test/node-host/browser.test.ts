// The virtual panel in headless Chromium, as a newcomer uses it: type the master code, arm
// away, open the door; the entry delay runs out → the siren lamp lights and the alarm is in
// the feed. A screenshot is kept in test-results/ when it fails.
import test from 'ava';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SimProcess, tempDataDir } from './sim-process.ts';
import { readMasterCode } from '../../hosts/node/data-dir.ts';

const results = path.resolve(import.meta.dirname, '../../test-results');

test('headless Chromium: arm away, open the door, the entry delay runs out → siren lamp on, alarm in the feed', async (t) => {
  const data = tempDataDir();
  t.teardown(() => rmSync(data, { recursive: true, force: true }));
  const sim = await SimProcess.start(data, ['--speed', '30']);
  t.teardown(() => sim.kill());
  const master = readMasterCode(data)!;

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  try {
    await page.goto(`${sim.web}/`);
    await page.locator('#mode', { hasText: 'disarmed' }).waitFor();
    await page.locator('#feed li[data-code="305"]').waitFor(); // the stream is open: the boot is in the feed
    // The entry delay lasts 1 s at 30×: under load a polling wait can miss it, so the page keeps
    // every mode it shows and every class the siren lamp takes, and the test reads them back.
    await page.evaluate(`(() => {
      const seen = window.seen = { mode: [], siren: [] };
      for (const [selector, into, read] of [['#mode', seen.mode, (el) => el.textContent], ['#siren', seen.siren, (el) => el.className]]) {
        const el = document.querySelector(selector);
        new MutationObserver(() => { if (into.at(-1) !== read(el)) into.push(read(el)); })
          .observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
      }
    })()`); // a string: tsx would wrap named functions in a helper the page does not have
    const seen = () => page.evaluate(() => (globalThis as unknown as { seen: { mode: string[]; siren: string[] } }).seen);

    for (const digit of master) await page.click(`button.digit[data-digit="${digit}"]`);
    t.is(await page.inputValue('#code'), master, 'the code as typed on the keypad');
    await page.click('button.action[data-action="arm_away"]');
    await page.locator('#result', { hasText: 'accepted' }).waitFor();
    await page.locator('#mode', { hasText: 'armed_away' }).waitFor(); // the 30 s exit delay, at 30×
    await page.locator('#feed li[data-code="401"]').waitFor();

    await page.click('.zone[data-zone="1"] button.contact');
    await page.locator('.zone[data-zone="1"][data-open="true"]').waitFor();
    await page.locator('#mode', { hasText: 'triggered' }).waitFor();
    const shown = await seen();
    t.deepEqual(shown.mode.slice(shown.mode.indexOf('armed_away')), ['armed_away', 'pending', 'triggered'], 'the entry delay ran before the alarm');
    await page.waitForFunction(() => (globalThis as unknown as { seen: { siren: string[] } }).seen.siren.some((c) => c.split(' ').includes('on')));
    const alarm = page.locator('#feed li[data-code="134"]');
    await alarm.waitFor();
    t.regex(await alarm.innerText(), /entry\/exit alarm · zone 1 Front door/);
    t.regex(await page.locator('#siren-text').innerText(), /^ON · alarm/);

    // The lamp follows the pin: what the page shows is what the simulator drives.
    const state = await sim.get('/sim/state');
    t.is(state.snapshot.mode, 'triggered');
    t.is(state.board[state.siren.pin], 1, 'the siren pin is high');
  } catch (err) {
    mkdirSync(results, { recursive: true });
    const file = path.join(results, 'node-host-browser.png');
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    t.log(`screenshot: ${file}`);
    throw err;
  }
});
