// Attack: sessions that never end (issue 12, finding 6). A page that polls kept an installer
// session alive for ever, and changing the installer code or importing a config left the
// other sessions open: whoever had once logged in (or stolen a cookie) stayed in.
import test from 'ava';
import { simPortal, req, login, json } from '../portal/support.ts';

const HOUR = 3_600_000;

test('a session ends after 12 h even while the page polls every minute', (t) => {
  const { handler, panel, host, first } = simPortal();
  const s = login(handler, first.installerCode);
  let lastOk = 0;
  for (let minute = 1; minute <= 13 * 60; minute++) {
    host.runTo(panel, host.uptimeMs + 60_000);
    if (handler(req('GET', '/api/status', undefined, s.headers)).status === 200) lastOk = minute;
    else break;
  }
  t.is(lastOk, 12 * 60 - 1, 'alive through 12 h of polling, then ended');
  t.is(handler(req('GET', '/api/status', undefined, s.headers)).status, 401);
});

test('changing the installer code ends every session, the other ones too', (t) => {
  const { handler, first } = simPortal();
  const other = login(handler, first.installerCode); // e.g. a stolen cookie
  const mine = login(handler, first.installerCode);
  const form = json(handler(req('GET', '/api/config', undefined, mine.headers))).config;
  const code = first.installerCode === '13572468' ? '24681357' : '13572468';
  const saved = handler(req('POST', '/api/config', { ...form, installer: { code } }, mine.headers));
  t.is(saved.status, 200);
  t.true(json(saved).loggedOut);
  t.regex(saved.headers['set-cookie'], /Max-Age=0/);
  t.is(handler(req('GET', '/api/status', undefined, other.headers)).status, 401, 'the other session ended');
  t.is(handler(req('GET', '/api/status', undefined, mine.headers)).status, 401, 'and this one');
  t.truthy(login(handler, code).csrf, 'the new code logs in');
});

test('importing a config ends every session', (t) => {
  const { handler, first, panel } = simPortal();
  const other = login(handler, first.installerCode);
  const mine = login(handler, first.installerCode);
  const doc = structuredClone(panel.config());
  doc.panel.name = 'Imported';
  t.is(handler(req('POST', '/api/config/import', doc, mine.headers)).status, 200);
  t.is(handler(req('GET', '/api/status', undefined, other.headers)).status, 401, 'the other session ended');
  t.is(handler(req('GET', '/api/status', undefined, mine.headers)).status, 401);
});
