// Moddable's HTTP server ⇄ the portal's PortalRequest/PortalResponse.
//
// Moddable's server calls one callback per step of an exchange, with the exchange as `this`:
// status (path, method), each header (name already lower case), headersComplete (we say
// how to take the body), requestComplete (the body), prepareResponse (we answer), then
// responseFragment while a streamed body lasts, and responseComplete or error.
//
// - Headers reach the portal with lower-case names; repeated ones are joined with ", ".
//   More than MAX_HEADER_BYTES of them drops the connection (the server closes on a throw).
// - Before any body is read, the request must name one of the panel's own addresses in Host
//   (421 otherwise: DNS rebinding) and a change must come from the portal's page (Origin, 403);
//   src/portal/names.ts makes that check for every host. Only then is a body collected.
// - A body is collected only when Content-Length says how long it is and that is at most
//   the path's limit (bodyLimit: MAX_BODY_BYTES for a config save or import, SMALL_BODY_BYTES
//   otherwise); beyond that the answer is 413 without reading it, and a malformed length is
//   400. (Moddable's server refuses chunked request bodies itself.)
// - At most MAX_CONNECTIONS at once (a new one past that is closed at once), and each must
//   deliver its whole request within REQUEST_TIMEOUT_MS of connecting, or it is closed: a
//   client that opens sockets and sends nothing cannot hold the panel's few sockets.
// - A response body of up to ONE_SHOT_BYTES goes out in one write with its length; a larger
//   one is streamed in the pieces the socket has room for, still with its Content-Length
//   (Moddable writes a fixed body in one go and assumes it fits the socket's buffer).
import { Server, type HTTPServerCallback } from "http";
import Timer from "timer";
import { panelNames } from "./names";
import { checkHead } from "../../src/portal/names";
import { bodyLimit, type PortalHandler, type PortalRequest, type PortalResponse } from "../../src/portal/http";
import { utf8 } from "../../src/text";

export const MAX_HEADER_BYTES = 8 * 1024;
/** Connections at once: lwIP on the ESP32 has 16 sockets for everything (the broker's included). */
export const MAX_CONNECTIONS = 4;
/** From connecting to the last byte of the request (headers and body). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Well under lwIP's TCP send buffer on the ESP32 (5,744 bytes by default), status line and headers included. */
export const ONE_SHOT_BYTES = 1024;

/** Headers that describe the connection or the framing: the server sets them, never the portal. */
const framing = new Set(["content-length", "transfer-encoding", "connection"]);

interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  headerBytes: number;
  body: Uint8Array;
  /** The peer's address, for the portal's per-client limit on code entries. */
  client?: string;
  /** Set when the request is refused before the portal sees it. */
  refusal?: PortalResponse;
  /** The body being streamed, and how much of it is sent. */
  streaming?: { bytes: Uint8Array; sent: number };
  /** Closes the connection if the request is not whole in time. */
  timer?: Timer;
  /** The response's `after`, run once it is sent (or the client went away). */
  after?: () => void;
}

/** What the server's exchange (Moddable's Request) offers: its server's list of connections, and close(). */
interface Connection {
  server?: { connections?: object[] };
  close?(): void;
}

/** Closes a connection the server will not hear from again, and takes it off the server's list. */
function drop(exchange: object): void {
  const c = exchange as Connection;
  const list = c.server?.connections;
  const i = list ? list.indexOf(exchange) : -1;
  if (i >= 0) list!.splice(i, 1);
  try {
    c.close?.();
  } catch { /* closed already */ }
}

type Message = number;
type Reply = void | boolean | ArrayBuffer | typeof ArrayBuffer | { status?: number; headers?: string[]; body: true | ArrayBuffer };

const text = (status: number, message: string): PortalResponse => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: utf8(`${message}\n`),
});

/** A copy of `bytes` as its own ArrayBuffer (Moddable's socket writes whole ArrayBuffers). */
function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

export interface PortalServer {
  close(): void;
}

/** Serves `handler` on `port` (every interface: the access point's and the station's). */
export function servePortal(handler: PortalHandler, options: { port: number; log: (line: string) => void }): PortalServer {
  const exchanges = new WeakMap<object, Exchange>();
  const server = new Server({ port: options.port });

  const fresh = (): Exchange => ({ method: "GET", path: "/", headers: {}, headerBytes: 0, body: new Uint8Array(0) });
  const stopTimer = (x: Exchange | undefined) => {
    if (x?.timer !== undefined) Timer.clear(x.timer);
    if (x) x.timer = undefined;
  };
  let refused = 0;

  // The typings leave out one reply the server takes: the ArrayBuffer constructor, "collect the body for me".
  server.callback = function (this: object, message: Message, value?: unknown, etc?: unknown): Reply {
    switch (message) {
      case Server.connection: {
        const open = (this as Connection).server?.connections?.length ?? 0;
        if (open > MAX_CONNECTIONS) {
          if (refused++ % 100 === 0) options.log(`portal: over ${MAX_CONNECTIONS} connections at once: new ones closed (${refused} so far)`);
          drop(this);
          return;
        }
        const x = fresh();
        x.timer = Timer.set(() => {
          x.timer = undefined;
          exchanges.delete(this);
          drop(this);
        }, REQUEST_TIMEOUT_MS);
        exchanges.set(this, x);
        return;
      }
      case Server.status: {
        const x = exchanges.get(this) ?? fresh();
        x.method = String(etc);
        x.path = String(value);
        x.client = peer(this);
        exchanges.set(this, x);
        return;
      }
      case Server.header: {
        const x = exchanges.get(this);
        if (!x) return;
        const name = String(value).toLowerCase();
        const data = String(etc);
        x.headerBytes += name.length + data.length + 4;
        if (x.headerBytes > MAX_HEADER_BYTES) throw new Error("request headers too large"); // the server drops the connection
        x.headers[name] = x.headers[name] === undefined ? data : `${x.headers[name]}, ${data}`;
        return;
      }
      case Server.headersComplete: {
        const x = exchanges.get(this);
        if (!x) return false;
        const head = checkHead(x.method, x.headers, panelNames());
        if (head) {
          x.refusal = text(head.status, head.message);
          return false; // the body is never read
        }
        const length = x.headers["content-length"];
        if (length === undefined) return false;
        if (!/^\d{1,9}$/.test(length)) {
          x.refusal = text(400, "Content-Length must be a decimal number of bytes");
          return false;
        }
        const n = Number(length);
        const limit = bodyLimit(x.path);
        if (n > limit) {
          x.refusal = text(413, `the body is ${n} bytes; at most ${limit} are accepted`);
          return false; // not read: the answer goes out and the connection closes
        }
        return n > 0 ? ArrayBuffer : false;
      }
      case Server.requestComplete: {
        const x = exchanges.get(this);
        if (x && value instanceof ArrayBuffer) x.body = new Uint8Array(value);
        return;
      }
      case Server.prepareResponse: {
        const x = exchanges.get(this);
        stopTimer(x); // the request is whole
        if (!x) return { status: 500, body: buffer(utf8("no request\n")) };
        const response = x.refusal ?? call(handler, x, options.log);
        x.after = response.after;
        return respond(x, response, options.log);
      }
      case Server.responseFragment: {
        const s = exchanges.get(this)?.streaming;
        if (!s || s.sent >= s.bytes.length) return;
        // `value` is the room the socket has now; an empty piece would end the body, so at least one byte.
        const room = typeof value === "number" && value > 0 ? value : 1;
        const piece = s.bytes.subarray(s.sent, s.sent + room);
        s.sent += piece.length;
        return buffer(piece);
      }
      case Server.responseComplete:
      case Server.error: {
        const x = exchanges.get(this);
        stopTimer(x);
        exchanges.delete(this);
        if (x?.after) {
          try {
            x.after();
          } catch (err) {
            options.log(`portal: after ${x.method} ${x.path.split("?")[0]}: ${(err as Error).message}`);
          }
        }
        return;
      }
    }
  } as unknown as HTTPServerCallback;

  return { close: () => server.close() };
}

/** The peer's IP address from the exchange's socket (Moddable's socket.get("REMOTE_IP")), if it tells. */
function peer(exchange: object): string | undefined {
  try {
    const socket = (exchange as { socket?: { get?(what: string): unknown } }).socket;
    const address = socket?.get?.("REMOTE_IP");
    return typeof address === "string" && address ? address : undefined;
  } catch {
    return undefined;
  }
}

/** The portal's answer; a handler that throws is a 500 (and a line on the console), never a crash. */
function call(handler: PortalHandler, x: Exchange, log: (line: string) => void): PortalResponse {
  const request: PortalRequest = { method: x.method, path: x.path, headers: x.headers, body: x.body, client: x.client };
  try {
    return handler(request);
  } catch (err) {
    log(`portal: ${x.method} ${x.path.split("?")[0]} failed: ${(err as Error).message}`);
    return text(500, "the panel could not answer this request");
  }
}

/** The response as Moddable's server takes it: status, a flat header list, and the body or `true` to stream it. */
function respond(x: Exchange, response: PortalResponse, log: (line: string) => void): Reply {
  const headers: string[] = [];
  for (const name of Object.keys(response.headers)) {
    const value = response.headers[name];
    if (framing.has(name.toLowerCase())) continue;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      log(`portal: header ${JSON.stringify(name)} dropped: it holds a line break`);
      continue;
    }
    headers.push(name, value);
  }
  const body = response.body;
  if (body.length <= ONE_SHOT_BYTES) return { status: response.status, headers, body: buffer(body) };
  x.streaming = { bytes: body, sent: 0 };
  headers.push("content-length", String(body.length));
  return { status: response.status, headers, body: true };
}
