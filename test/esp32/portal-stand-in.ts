// STAND-IN for src/portal's handlers, test only: it stands where hosts/esp32/portal.ts's
// `createPortal` is, and answers from the context the ESP32 host hands it, so the scripts
// can see the panel through HTTP as a phone would: /state, /keypad, and a few requests that
// exercise the HTTP adapter (big bodies, bad headers, a handler that throws, an echo).
import type { PortalFactory } from '../../hosts/esp32/portal';
import type { PortalResponse } from '../../src/portal/http';
import type { KeypadAction } from '../../src/core/io';
import { fromUtf8, utf8 } from '../../src/text';

const json = (value: unknown, status = 200): PortalResponse => ({
  status, headers: { 'content-type': 'application/json' }, body: utf8(JSON.stringify(value)),
});
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');

export const createPortal: PortalFactory = (context) => (request) => {
  const [path, query = ''] = request.path.split('?');
  const panel = context.panel;
  switch (path) {
    case '/state':
      return json({
        mode: context.mode,
        problems: context.problems,
        panel: panel ? {
          mode: panel.snapshot().mode,
          boot: panel.boot,
          siren: panel.sirenState(),
          events: panel.events(50).map((e) => ({ code: e.code, q: e.q, time: e.time ?? null })),
          wallTime: context.host.clock.wallTime() ?? null,
        } : null,
      });
    case '/keypad': {
      if (!panel) return json({ error: 'no panel' }, 409);
      const { action, code } = JSON.parse(fromUtf8(request.body)) as { action: KeypadAction; code: string };
      return json(panel.keypad(action, code));
    }
    case '/big': {
      const n = Number(/n=(\d+)/.exec(query)?.[1] ?? 0);
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Uint8Array.from({ length: n }, (_, i) => i % 251) };
    }
    case '/crlf':
      return { status: 200, headers: { 'x-good': 'yes', 'x-evil': 'a\r\nset-cookie: stolen=1', 'content-length': '999' }, body: utf8('ok') };
    case '/restart':
      // A response whose `after` restarts (as the repair portal's): the host runs it once the answer is sent.
      return { ...json({ restarting: true }), after: () => context.restart() };
    case '/throw':
      throw new Error('a bug in a handler');
    default:
      return json({ method: request.method, path: request.path, headers: request.headers, body: hex(request.body) });
  }
};
