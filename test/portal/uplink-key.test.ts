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
