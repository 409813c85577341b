// The uplink key in the portal: made on the panel, shown once, kept out of the page's view,
// carried by the config export like the remote keys; revoking it turns authentication off.
import test from 'ava';
import { decodeKey } from '../../src/uplink/keys.ts';
import { json, login, req, simPortal, text } from './support.ts';

test('a new uplink key is shown once, then only said to be set; revoke removes it', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const made = handler(req('POST', '/api/uplink-key', {}, s.headers));
  t.is(made.status, 200, text(made.body));
  const key = json(made).uplink as string;
  t.truthy(decodeKey(key), '256 bits, base64url');
  t.is(panel.config().uplink, key);
  const view = handler(req('GET', '/api/config', undefined, s.headers));
  t.true((json(view).set as string[]).includes('uplink'));
  t.false(text(view.body).includes(key), 'the page never gets the key again');
  const saved = handler(req('POST', '/api/config', json(view).config, s.headers));
  t.is(saved.status, 200, text(saved.body));
  t.is(panel.config().uplink, key, 'saving the form keeps the key');
  t.false(text(handler(req('GET', '/api/config/export', undefined, s.headers)).body).includes(key), 'the export leaves it out, as every secret');
  t.like(json(handler(req('POST', '/api/uplink-key', { revoke: true }, s.headers))), { revoked: true });
  t.is(panel.config().uplink, undefined);
  t.is(handler(req('POST', '/api/uplink-key', { revoke: 'yes' }, s.headers)).status, 400);
  t.false(panel.config().uplink !== undefined);
});

test('sealed mode: set beside the uplink key, kept by a form save, a new key and an import of the export; ended by a revoke', (t) => {
  const { handler, panel, first } = simPortal();
  const s = login(handler, first.installerCode);
  const refused = handler(req('POST', '/api/uplink-key', { sealed: true }, s.headers));
  t.is(refused.status, 400, 'no sealed mode without an uplink key');
  t.regex(text(refused.body), /needs an uplink key/);
  t.is(panel.config().sealed, undefined, 'nothing changed');
  handler(req('POST', '/api/uplink-key', {}, s.headers));
  t.is(handler(req('POST', '/api/uplink-key', { sealed: 'yes' }, s.headers)).status, 400);
  t.is(handler(req('POST', '/api/uplink-key', { sealed: true, revoke: true }, s.headers)).status, 400, 'one thing at a time');
  t.like(json(handler(req('POST', '/api/uplink-key', { sealed: true }, s.headers))), { sealed: true });
  t.is(panel.config().sealed, true);
  const view = handler(req('GET', '/api/config', undefined, s.headers));
  t.is(json(view).sealed, true, 'the page is told');
  t.is(handler(req('POST', '/api/config', json(view).config, s.headers)).status, 200);
  t.is(panel.config().sealed, true, 'saving the form keeps it');
  handler(req('POST', '/api/uplink-key', {}, s.headers));
  t.is(panel.config().sealed, true, 'a new uplink key keeps it');
  const exported = handler(req('GET', '/api/config/export', undefined, s.headers));
  t.is(handler(req('POST', '/api/config/import', json(exported), s.headers)).status, 200);
  t.is(panel.config().sealed, true, 'an import of the export keeps it, with the key');
  const again = login(handler, first.installerCode); // an import ends every session
  t.like(json(handler(req('POST', '/api/uplink-key', { sealed: false }, again.headers))), { sealed: false });
  t.is(panel.config().sealed, undefined);
  handler(req('POST', '/api/uplink-key', { sealed: true }, again.headers));
  handler(req('POST', '/api/uplink-key', { revoke: true }, again.headers));
  t.like(panel.config(), { uplink: undefined, sealed: undefined }, 'a revoke ends it: its key is derived from the uplink key');
});
