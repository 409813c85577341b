// The portal on the Node host: Node's `http` translated to and from the portal's plain
// PortalRequest/PortalResponse, so the same handlers serve here and on the ESP32.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PortalHandler, PortalRequest, PortalResponse } from '../../src/portal/http.ts';
import { MAX_BODY_BYTES } from '../../src/portal/http.ts';

/**
 * Reads a request into a PortalRequest. The body is read up to `maxBody + 1` bytes and no
 * further: a body that long tells the handler it was too large (the handler answers it, so
 * every host reports the same error), and the rest is never buffered.
 */
export function toPortalRequest(req: http.IncomingMessage, maxBody: number = MAX_BODY_BYTES): Promise<PortalRequest> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const client = req.socket.remoteAddress;
  const request = (body: Uint8Array): PortalRequest => ({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body, ...(client ? { client } : {}) });

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const all = Buffer.concat(chunks, Math.min(length, maxBody + 1));
      resolve(request(new Uint8Array(all.buffer, all.byteOffset, all.byteLength)));
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length > maxBody) {
        req.pause(); // stop reading; the response closes the connection
        finish();
      }
    });
    req.on('end', finish);
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}

/** Writes a PortalResponse (status, headers, body with its length). */
export function sendPortalResponse(res: http.ServerResponse, response: PortalResponse): void {
  if (response.after) res.once('close', response.after); // sent, or the client went away
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.byteLength) });
  res.end(response.body);
}

export interface ServedPortal {
  port: number;
  /** e.g. "http://127.0.0.1:40123" */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Serves a portal handler on a host and port (port 0: one the OS picks), resolving once bound. */
export function servePortal(
  handler: PortalHandler,
  options: { host?: string; port?: number; maxBody?: number } = {},
): Promise<ServedPortal> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBody ?? MAX_BODY_BYTES;
  const server = http.createServer(async (req, res) => {
    let request: PortalRequest;
    try {
      request = await toPortalRequest(req, maxBody);
    } catch {
      res.destroy();
      return;
    }
    let response: PortalResponse;
    try {
      response = handler(request);
    } catch {
      // Handlers answer bad input themselves; this is the last guard for a bug.
      response = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: new TextEncoder().encode('internal error\n') };
    }
    if (request.body.byteLength > maxBody) res.setHeader('connection', 'close'); // the unread rest is not drained
    sendPortalResponse(res, response);
  });
  // As on the ESP32: a client that connects and dawdles is cut off (the whole request within 10 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
