// A real panel on simulated hardware with its portal, for the portal's tests.
import { SimHost } from '../../hosts/xs/sim-host.ts';
import { firstBootConfig } from '../../src/config.ts';
import { createPortal, type PortalOptions } from '../../src/portal/portal.ts';
import type { PortalRequest, PortalResponse } from '../../src/portal/http.ts';
import { LOOPBACK_NAMES } from '../../src/portal/names.ts';

export const HOST = 'panel.local';
export const ORIGIN = `http://${HOST}`;

/** The portal answers to HOST (the handler tests) and to loopback (served to a browser). */
export function simPortal(options: Partial<PortalOptions> = {}) {
  const host = new SimHost({ wallStart: 1_790_000_000 });
  const first = firstBootConfig('sim1', (n) => host.randomBytes(n));
  const panel = host.open(first.config);
  host.runTo(panel, 1000);
  const handler = createPortal(panel, host, { names: () => [HOST, ...LOOPBACK_NAMES], ...options });
  return { host, panel, first, handler };
}

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
export const json = (response: PortalResponse) => JSON.parse(text(response.body));

/** A request as a browser on the portal's own page sends it. */
export function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): PortalRequest {
  const bytes = body === undefined ? new Uint8Array(0) : body instanceof Uint8Array ? body : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  const base: Record<string, string> = { host: HOST };
  if (method !== 'GET') Object.assign(base, { origin: ORIGIN, 'content-type': 'application/json' });
  return { method, path, headers: { ...base, ...headers }, body: bytes };
}

/** Logs in with the installer code; the cookie and CSRF token for later requests. */
export function login(handler: (r: PortalRequest) => PortalResponse, code: string) {
  const response = handler(req('POST', '/api/login', { code }));
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${text(response.body)}`);
  const cookie = response.headers['set-cookie'].split(';')[0];
  const csrf = json(response).csrf as string;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}
