// Attack: an offline search of a config export (issue 12, finding 5). The export held the salted
// SHA-256 of every 4–8 digit code: the master code fell in 1.8 s, and the remote keys were in
// clear. Now the export leaves every secret out (and says so); imported into the same panel it
// keeps the panel's own secrets.
import test from 'ava';
import { hashCode } from '../../src/core/settings.ts';
import { simPortal, req, login, text } from '../portal/support.ts';
import { encodeKey } from '../../src/uplink/keys.ts';

const hex64 = /^[0-9a-f]{64}$/;
const hexSalt = /^[0-9a-f]{8,64}$/;

/**
 * What an attacker does with the file: every object that holds a hash-like and a salt-like hex
 * string is searched over every code of 4 to 8 digits (hashCode is the panel's own scheme).
 * Returns the codes found.
 */
function search(doc: unknown): string[] {
  const found: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const values = Object.values(v).filter((x): x is string => typeof x === 'string');
    for (const hash of values.filter((x) => hex64.test(x))) {
      for (const salt of values.filter((x) => x !== hash && hexSalt.test(x))) {
        for (let digits = 4; digits <= 8; digits++) {
          let hit: string | undefined;
          for (let n = 0; n < 10 ** digits && !hit; n++) {
            const code = String(n).padStart(digits, '0');
            if (hashCode(code, salt) === hash) hit = code;
          }
          if (hit) { found.push(hit); break; }
        }
      }
    }
    Object.values(v).forEach(visit);
  };
  visit(doc);
  return found;
}

test('an offline search of the config export finds no code; no key, password or installer secret is in it', (t) => {
  const { handler, first, panel } = simPortal();
  const s = login(handler, first.installerCode);
  // A remote key and a broker password on the panel, as in real life.
  const key = encodeKey(new Uint8Array(32).fill(7));
  const cfg = panel.config();
  panel.reconfigure({ ...cfg, remote: { 1: key }, wifi: { ssid: 'home', password: 'wifi-secret-1' }, broker: { ...cfg.broker, username: 'panel', password: 'broker-secret-1' } });
  const exported = handler(req('GET', '/api/config/export', undefined, s.headers));
  t.is(exported.status, 200);
  const body = text(exported.body);
  const doc = JSON.parse(body);
  t.deepEqual(search(doc), [], 'no code can be found');
  for (const secret of [key, 'wifi-secret-1', 'broker-secret-1', panel.config().installer.codeHash, panel.config().installer.salt,
    ...panel.config().alarm.users.flatMap((u) => [u.codeHash, u.salt])]) {
    t.false(body.includes(secret), 'a secret is in the export');
  }
  t.false(/[0-9a-f]{64}/.test(body), 'nothing hash-like at all');
  t.is(doc.secrets, 'left out', 'and it says so');
});

test('an export imports back into the same panel: codes, keys and passwords stay; a user the panel lacks needs a code', (t) => {
  const { handler, first, panel } = simPortal();
  const key = encodeKey(new Uint8Array(32).fill(7));
  const cfg = panel.config();
  panel.reconfigure({ ...cfg, remote: { 1: key }, broker: { ...cfg.broker, username: 'panel', password: 'broker-secret-1' } });
  const s = login(handler, first.installerCode);
  const doc = JSON.parse(text(handler(req('GET', '/api/config/export', undefined, s.headers)).body));
  doc.config.panel.name = 'Renamed by import';
  const withNewUser = structuredClone(doc);
  withNewUser.config.alarm.users.push({ number: 2, name: 'Guest', role: 'arm-only' });
  const refused = handler(req('POST', '/api/config/import', withNewUser, s.headers));
  t.is(refused.status, 400);
  t.regex(text(refused.body), /config\.alarm\.users\[1\]\.code/);
  const before = panel.config();
  const r = handler(req('POST', '/api/config/import', doc, s.headers));
  t.is(r.status, 200, text(r.body));
  const after = panel.config();
  t.is(after.panel.name, 'Renamed by import');
  t.deepEqual(after.alarm.users, before.alarm.users, 'codes kept');
  t.deepEqual(after.remote, { 1: key }, 'remote key kept');
  t.is(after.broker.password, 'broker-secret-1');
  t.deepEqual(after.installer, before.installer, 'installer code kept');
  t.true(panel.keypad('arm_away', first.masterCode).ok, 'the master code still works');
});
