// The Node host's local web server: a list of handlers tried in order, each answering the
// requests it owns (returning true) and passing on the rest. The virtual panel is one
// handler; the portal mounts in front of it at /portal/.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isOwnHost, LOOPBACK_NAMES } from '../../src/portal/names.ts';

/** Answers the request and returns true, or returns false without touching `res`. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** An error with the HTTP status it should be answered with. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The request listener for `http.createServer`: the first handler that answers wins, else 404. */
export function requestListener(handlers: RouteHandler[], log: (line: string) => void = () => {}): RequestListener {
  return async (req, res) => {
    try {
      // Only names of this machine, the check the portal makes too (src/portal/names.ts): a web
      // page elsewhere cannot reach the panel through DNS rebinding. (Cross-site POSTs are
      // stopped by readJson: JSON bodies need a CORS preflight.)
      if (!isOwnHost(req.headers.host, LOOPBACK_NAMES)) throw new HttpError(421, `this server answers to ${LOOPBACK_NAMES.join(', ')} only`);
      for (const handler of handlers) if (await handler(req, res)) return;
      throw new HttpError(404, `nothing at ${req.method} ${pathOf(req)}`);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) log(`http: ${req.method} ${pathOf(req)}: ${(err as Error).stack ?? err}`);
      if (res.headersSent) return void res.destroy();
      sendJson(res, status, { error: (err as Error).message });
    }
  };
}

/** The path without the query string. */
export const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?')[0];

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** The request body as JSON; 413 past `maxBytes`, 415 when it is not JSON, 400 when it does not parse. */
export async function readJson(req: IncomingMessage, maxBytes = 4096): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `the body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}
