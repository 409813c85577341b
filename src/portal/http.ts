// The portal's view of HTTP, the same on every host: the ESP32's Moddable server and Node's
// `http` both translate to and from these plain objects, so the handlers run unchanged.

export interface PortalRequest {
  method: string;
  /** Path with the query string, e.g. "/api/log?max=50". */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The peer's network address, for per-client limits; undefined when the host cannot tell (all such share one). */
  client?: string;
}

export interface PortalResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Called by the host once the response is sent (or the client went away): e.g. a restart. */
  after?: () => void;
}

export type PortalHandler = (request: PortalRequest) => PortalResponse;

/** Largest request body any host hands to the portal (a full config import fits easily). */
export const MAX_BODY_BYTES = 32 * 1024;
/** Largest body of every other request (a code, a login, a key): a few hundred bytes are plenty. */
export const SMALL_BODY_BYTES = 1024;

/** Paths whose requests carry a whole config (a save from the form, with certificates; an import). */
const configPaths: readonly string[] = Object.freeze(['/api/config', '/api/config/import']);

/** How large the body of a request to `path` (query string allowed) may be. */
export function bodyLimit(path: string): number {
  return configPaths.includes(path.split('?')[0]) ? MAX_BODY_BYTES : SMALL_BODY_BYTES;
}
