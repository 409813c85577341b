// The Node adapter: requests reach the handler as PortalRequests and its answers go back unchanged.
import test from 'ava';
import http from 'node:http';
import type { PortalRequest } from '../../src/portal/http.ts';
import { servePortal } from '../../hosts/node/http.ts';

function raw(port: number, options: http.RequestOptions, body?: Uint8Array | string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a request arrives as a PortalRequest and the response is sent as given', async (t) => {
  const seen: PortalRequest[] = [];
  const served = await servePortal((request) => {
    seen.push(request);
    return { status: 201, headers: { 'content-type': 'text/plain', 'x-test': 'yes' }, body: new TextEncoder().encode('made') };
  });
  t.teardown(() => served.close());
  const reply = await raw(served.port, { method: 'POST', path: '/api/x?y=1', headers: { 'X-Mixed-Case': 'v', 'content-type': 'application/json' } }, '{"a":1}');
  t.is(reply.status, 201);
  t.is(reply.body, 'made');
  t.is(reply.headers['x-test'], 'yes');
  t.is(reply.headers['content-length'], '4');
  t.is(seen.length, 1);
  t.is(seen[0].method, 'POST');
  t.is(seen[0].path, '/api/x?y=1');
  t.is(seen[0].headers['x-mixed-case'], 'v');
  t.is(new TextDecoder().decode(seen[0].body), '{"a":1}');
});

test('a body over the limit reaches the handler cut at limit + 1 bytes, and the connection closes', async (t) => {
  const lengths: number[] = [];
  const served = await servePortal((request) => {
    lengths.push(request.body.byteLength);
    return { status: 400, headers: {}, body: new Uint8Array(0) };
  }, { maxBody: 1000 });
  t.teardown(() => served.close());
  const reply = await raw(served.port, { method: 'POST', path: '/' }, new Uint8Array(50_000));
  t.is(reply.status, 400);
  t.is(reply.headers.connection, 'close');
  t.deepEqual(lengths, [1001]);
});

test('a handler that throws gives a 500 and the server keeps serving', async (t) => {
  let calls = 0;
  const served = await servePortal(() => {
    calls++;
    if (calls === 1) throw new Error('bug');
    return { status: 200, headers: {}, body: new Uint8Array([111, 107]) };
  });
  t.teardown(() => served.close());
  t.is((await raw(served.port, { path: '/' })).status, 500);
  const second = await raw(served.port, { path: '/' });
  t.is(second.status, 200);
  t.is(second.body, 'ok');
});

import net from 'node:net';

/** Writes raw bytes on a socket and collects whatever comes back until the server closes or `ms` pass. */
function rawSocket(port: number, bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { socket.destroy(); resolve(out); }, ms);
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('close', () => { clearTimeout(timer); resolve(out); });
    socket.on('error', () => {});
    socket.write(bytes);
    socket.end();
  });
}

test('bad lengths: a chunked body over the limit is cut, a short body never reaches the handler (Node answers 400), a malformed length is refused, and the server keeps serving', async (t) => {
  const lengths: number[] = [];
  const served = await servePortal((request) => {
    lengths.push(request.body.byteLength);
    return { status: 200, headers: {}, body: new Uint8Array([111, 107]) };
  }, { maxBody: 100 });
  t.teardown(() => served.close());
  const chunk = 'x'.repeat(80);
  const chunked = await rawSocket(served.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n${chunk}\r\n50\r\n${chunk}\r\n0\r\n\r\n`);
  t.regex(chunked, /^HTTP\/1\.1 200/);
  const short = await rawSocket(served.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nonly-a-few');
  t.regex(short, /^HTTP\/1\.1 400/, 'Node refuses a request whose body never arrived');
  const malformed = await rawSocket(served.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n{}');
  t.regex(malformed, /^HTTP\/1\.1 400/);
  t.deepEqual(lengths, [101], 'only the chunked request reached the handler, cut at limit + 1');
  const after = await raw(served.port, { path: '/' });
  t.is(after.status, 200);
});
