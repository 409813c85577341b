// The uplink on the Node host: a `Connect` over node:net / node:tls. What it receives wakes the
// host's one scheduler (./scheduler.ts) through the session's `wake` hook; it runs no timer.
import net from 'node:net';
import tls from 'node:tls';
import type { Connect, Transport } from '../../src/uplink/transport';

/** TCP, or TLS when the target has `tls` (CA, optional client certificate and key, SNI name). */
export const nodeConnect: Connect = (target, events) => {
  let closed = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    events.onClose(reason);
  };

  let socket: net.Socket;
  if (target.tls) {
    const { ca, cert, key, servername } = target.tls;
    const name = servername ?? (net.isIP(target.host) ? undefined : target.host); // SNI takes names, not addresses
    socket = tls.connect({ host: target.host, port: target.port, ca, cert, key, servername: name });
    socket.once('secureConnect', () => events.onConnect());
  } else {
    socket = net.connect({ host: target.host, port: target.port });
    socket.once('connect', () => events.onConnect());
  }
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    if (!closed) events.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  socket.on('error', (err) => finish(err.message));
  socket.on('close', () => finish('closed by the broker'));

  const transport: Transport = {
    write(bytes) {
      if (closed || socket.destroyed) return false;
      socket.write(bytes);
      return true;
    },
    close() {
      socket.destroy();
      finish('closed by the panel');
    },
  };
  return transport;
};
