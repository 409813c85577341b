// embedded:io/socket/tcp as Moddable implements it on lwIP, over node:net, for testing
// hosts/moddable/transport.ts on Node: onWritable(count) once connected and whenever sent data
// frees room; write() throws "would block" past that room; read(count) hands out received bytes.
import net from 'node:net';

/** A small send buffer, so that the transport's pacing is exercised. */
export const SEND_BUFFER = 64;

interface Options {
  address: string;
  port: number;
  format?: string;
  nodelay?: boolean;
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: () => void;
}

export default class TCP {
  static writesRefused = 0;
  /** The send room of the sockets made from now on (TLS keeps 96 bytes of it for its record overhead). */
  static sendBuffer = SEND_BUFFER;
  /**
   * Exceptions that escaped a callback. On Moddable nothing catches them: the native caller's
   * xsEndHost turns one into `XS abort: unhandled exception`, a restart on the ESP32.
   */
  static readonly aborts: unknown[] = [];
  /** Told of each abort as it happens (the process would end there). */
  static onAbort: ((err: unknown) => void) | undefined;
  private readonly socket: net.Socket;
  private received: Buffer[] = [];
  /** Send room (named apart from `readable`/`writable`, which users such as TLS set on the socket). */
  private room = 0;
  private failed = false;
  private closed = false;

  constructor(private readonly options: Options) {
    if (!net.isIPv4(options.address)) throw new Error('invalid address');
    this.socket = net.connect({ host: options.address, port: options.port });
    this.socket.setNoDelay(options.nodelay ?? false);
    this.socket.once('connect', () => { this.room = TCP.sendBuffer; setImmediate(() => this.call(() => this.options.onWritable?.(this.room))); });
    this.socket.on('data', (chunk) => {
      this.received.push(chunk);
      setImmediate(() => { if (this.available) this.call(() => this.options.onReadable?.(this.available)); });
    });
    const fail = () => { if (!this.failed) { this.failed = true; setImmediate(() => this.call(() => this.options.onError?.())); } };
    this.socket.on('error', fail);
    this.socket.on('close', fail);
  }

  /** A callback as the native socket makes it: never after close; what it throws escapes (see aborts). */
  private call(callback: () => void): void {
    if (this.closed) return;
    try { callback(); } catch (err) { TCP.aborts.push(err); TCP.onAbort?.(err); }
  }

  private get available(): number { return this.received.reduce((n, b) => n + b.length, 0); }

  /** `count` bytes as a new ArrayBuffer, or (as Moddable's) into a view: as many as fit. */
  read(count: number | Uint8Array): ArrayBuffer | number {
    const all = Buffer.concat(this.received);
    const into = typeof count === 'number' ? undefined : count;
    const n = into ? Math.min(into.byteLength, all.length) : count as number;
    if (n <= 0 || n > all.length) throw new Error('invalid');
    this.received = n < all.length ? [all.subarray(n)] : [];
    if (into) { into.set(all.subarray(0, n)); return n; }
    return Uint8Array.from(all.subarray(0, n)).buffer;
  }

  write(bytes: Uint8Array): number {
    if (bytes.byteLength > this.room) { TCP.writesRefused++; throw new Error('would block'); }
    this.room -= bytes.byteLength;
    this.socket.write(Buffer.from(bytes), () => {
      this.room += bytes.byteLength;
      this.call(() => this.options.onWritable?.(this.room));
    });
    return this.room;
  }

  close(): void { this.closed = true; this.socket.destroy(); }
}
