// The uplink on the Node host: a `Connect` over node:net / node:tls, and the timer glue
// that drives a time-injected session (tick at its deadlines and when it asks to be woken).
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
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

export interface Driven {
  tick(now: number): void;
  nextDeadline(): number | undefined;
}

export interface Runner {
  /** Give it to the session as its `wake` hook: ticks on the next turn of the event loop. */
  wake(): void;
  /** Stops ticking (the session itself is not stopped). */
  stop(): void;
}

/**
 * Drives a session with Node timers: `tick` at every deadline and soon after every `wake`.
 * `now` is the uptime clock in ms (default: performance.now()).
 *
 *   let runner: Runner | undefined;
 *   const session = new Session(config, { ..., wake: () => runner?.wake() });
 *   runner = runSession(session);
 */
export function runSession(session: Driven, now: () => number = () => performance.now()): Runner {
  let timer: NodeJS.Timeout | undefined;
  let soon = false;
  let stopped = false;

  const tick = () => {
    soon = false;
    if (stopped) return;
    session.tick(now());
    schedule();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = session.nextDeadline();
    if (due === undefined || stopped) return;
    timer = setTimeout(tick, Math.max(0, Math.ceil(due - now())));
  };

  setImmediate(tick);
  return {
    wake() {
      if (soon || stopped) return;
      soon = true;
      setImmediate(tick);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
