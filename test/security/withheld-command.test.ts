// Issue 12, item 1: a command the broker held back is refused whether or not the panel's clock is
// set, and counters never go backwards (a reboot, an unreadable counters blob, a config import).
import test from 'ava';
import { encodeKey } from '../../src/uplink/keys.ts';
import { createPortal } from '../../src/portal/portal.ts';
import { NONCE_GRACE_MS, NONCE_ROTATE_MS } from '../../src/uplink/nonce.ts';
import { INSTALLER, Rig, NOW, keyOf, panelConfig } from './support.ts';
import { HOST, json, login, req, text } from '../portal/support.ts';

test('a disarm withheld by the broker, then the panel reboots with no clock: refused as stale, still armed', (t) => {
  const rig = new Rig((h) => panelConfig(h)).boot(1);
  rig.deliver(rig.sign(1, 'arm_away', { id: 1, counter: 1 }));
  t.like(rig.lastReply(), { id: 1, ok: true, state: 'arming' });
  rig.run(31_000);
  t.is(rig.panel.snapshot().mode, 'armed_away');

  // The owner disarms; the broker keeps the command instead of delivering it.
  const withheld = rig.sign(1, 'disarm', { id: 2, counter: 2 });
  rig.powerCut();
  rig.boot(2); // a new boot: the board's RNG gives other bytes (a real ESP32's RNG always does)
  rig.run(3 * 3_600_000);
  t.is(rig.panel.snapshot().mode, 'armed_away', 'armed again after the restart');

  rig.deliver(withheld);
  t.like(rig.lastReply(), { id: 2, ok: false, reason: 'stale' });
  t.is(rig.panel.snapshot().mode, 'armed_away', 'the withheld disarm changed nothing');
  t.true(rig.host.lines.some((l) => /command refused: stale \(nonce/.test(l)), 'logged with the reason');

  // The owner, with the nonce the panel publishes now, still disarms at once.
  rig.deliver(rig.sign(1, 'disarm', { id: 3, counter: 3 }));
  t.like(rig.lastReply(), { id: 3, ok: true, state: 'disarmed' });
});

test('no clock: a command without the nonce is stale; the nonce rotates on each accepted command and every 2 min', (t) => {
  const rig = new Rig((h) => panelConfig(h)).boot(1);
  const first = rig.nonce();
  t.truthy(first, 'the panel publishes a nonce, retained');
  const armed = rig.sign(1, 'arm_away', { id: 1, counter: 1 });
  rig.deliver(armed);
  t.like(rig.lastReply(), { ok: true });
  t.notDeepEqual(rig.nonce(), first, 'a new nonce after an accepted command');
  rig.deliver(rig.sign(1, 'disarm', { id: 2, counter: 2 }));
  t.like(rig.lastReply(), { ok: true, state: 'disarmed' });

  // A command signed with an old nonce: fine within the grace after a rotation, stale after it.
  const late = rig.sign(2, 'arm_away', { id: 3, counter: 1 });
  rig.run(NONCE_ROTATE_MS + NONCE_GRACE_MS + 1000);
  rig.deliver(late);
  t.like(rig.lastReply(), { id: 3, ok: false, reason: 'stale' });
  t.is(rig.panel.snapshot().mode, 'disarmed');
});

test('with the clock set the time window applies as before, nonce or not', (t) => {
  const rig = new Rig((h) => panelConfig(h), undefined, NOW).boot(1);
  rig.deliver(rig.sign(1, 'arm_away', { id: 1, counter: 1 }));
  t.like(rig.lastReply(), { ok: true });
  const withheld = rig.sign(1, 'disarm', { id: 2, counter: 2 });
  rig.run(41_000);
  rig.deliver(withheld);
  t.like(rig.lastReply(), { id: 2, ok: false, reason: 'stale' });
});

test('unreadable counters refuse that user loudly until re-keyed; an old capture never replays', (t) => {
  const rig = new Rig((h) => panelConfig(h)).boot(1);
  rig.deliver(rig.sign(1, 'arm_away', { id: 1, counter: 50 }));
  rig.deliver(rig.sign(1, 'disarm', { id: 2, counter: 51 }));
  t.like(rig.lastReply(), { ok: true, state: 'disarmed' });
  for (const copy of ['counters.a', 'counters.b']) if (rig.storage.read(copy).length) rig.storage.flip(copy, 6);
  rig.powerCut();
  rig.boot(2);
  t.true(rig.host.lines.some((l) => /^SECURITY: the remote-command counters on flash are unreadable; commands of user 1, 2 are refused/.test(l)), 'said loudly at boot');
  rig.deliver(rig.sign(1, 'arm_away', { id: 3, counter: 1 }));
  t.like(rig.lastReply(), { id: 3, ok: false, reason: 'counter_lost' });
  t.regex(rig.lastReply()!.detail!, /new key in the portal/);
  t.true(rig.host.lines.some((l) => l.startsWith('SECURITY: command refused: counter_lost')), 'each refusal logged loudly');
  t.is(rig.panel.snapshot().mode, 'disarmed');

  // Still refused after another reboot: the mark is on flash, not in RAM.
  rig.powerCut();
  rig.boot(3);
  rig.deliver(rig.sign(1, 'arm_away', { id: 4, counter: 1 }));
  t.like(rig.lastReply(), { id: 4, ok: false, reason: 'counter_lost' });

  // A new key for user 1 (the portal's "New key"): user 1 acts again; user 2 is still refused.
  const cfg = rig.panel.config();
  rig.panel.reconfigure({ ...cfg, remote: { ...cfg.remote, 1: encodeKey(keyOf(1, 100)) } });
  rig.deliver(rig.sign(1, 'arm_away', { id: 5, counter: 1, key: keyOf(1, 100) }));
  t.like(rig.lastReply(), { id: 5, ok: true });
  rig.deliver(rig.sign(2, 'disarm', { id: 6, counter: 99 }));
  t.like(rig.lastReply(), { id: 6, ok: false, reason: 'counter_lost' });
});

test('counters travel with the keys in the config export: a capture replayed on the new panel is a replay', (t) => {
  const old = new Rig((h) => panelConfig(h), undefined, NOW).boot(1);
  const captured = old.sign(1, 'arm_away', { id: 1, counter: 7000 });
  old.deliver(captured);
  t.like(old.lastReply(), { ok: true });
  const oldPortal = createPortal(old.panel, old.host, { names: () => [HOST] });
  const exported = text(oldPortal(req('GET', '/api/config/export', undefined, login(oldPortal, INSTALLER).headers)).body);
  t.like(JSON.parse(exported).counters, { 1: 7000 });

  // A new panel (its own first-boot config) takes the export; the broker replays the capture.
  const fresh = new Rig((h) => panelConfig(h), undefined, NOW).boot(9);
  const portal = createPortal(fresh.panel, fresh.host, { names: () => [HOST] });
  const imported = portal(req('POST', '/api/config/import', exported, login(portal, INSTALLER).headers));
  t.is(imported.status, 200, text(imported.body));
  fresh.deliver(captured);
  t.like(fresh.lastReply(), { id: 1, ok: false, reason: 'replay' });
  t.is(fresh.panel.snapshot().mode, 'disarmed');

  const bad = portal(req('POST', '/api/config/import', { ...JSON.parse(exported), counters: { 1: -1 } }, login(portal, INSTALLER).headers));
  t.is(bad.status, 400);
  t.like(json(bad).errors[0], { field: 'counters.1' });
});

