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
  private readonly socket: net.Socket;
  private received: Buffer[] = [];
  private writable = 0;
  private failed = false;

  constructor(private readonly options: Options) {
    if (!net.isIPv4(options.address)) throw new Error('invalid address');
    this.socket = net.connect({ host: options.address, port: options.port });
    this.socket.setNoDelay(options.nodelay ?? false);
    this.socket.once('connect', () => { this.writable = SEND_BUFFER; setImmediate(() => this.options.onWritable?.(this.writable)); });
    this.socket.on('data', (chunk) => {
      this.received.push(chunk);
      setImmediate(() => { if (this.available) this.options.onReadable?.(this.available); });
    });
    const fail = () => { if (!this.failed) { this.failed = true; setImmediate(() => this.options.onError?.()); } };
    this.socket.on('error', fail);
    this.socket.on('close', fail);
  }

  private get available(): number { return this.received.reduce((n, b) => n + b.length, 0); }

  read(count: number): ArrayBuffer {
    const all = Buffer.concat(this.received);
    if (count <= 0 || count > all.length) throw new Error('invalid');
    this.received = count < all.length ? [all.subarray(count)] : [];
    return Uint8Array.from(all.subarray(0, count)).buffer;
  }

  write(bytes: Uint8Array): number {
    if (bytes.byteLength > this.writable) { TCP.writesRefused++; throw new Error('would block'); }
    this.writable -= bytes.byteLength;
    this.socket.write(Buffer.from(bytes), () => {
      this.writable += bytes.byteLength;
      this.options.onWritable?.(this.writable);
    });
    return this.writable;
  }

  close(): void { this.socket.destroy(); }
}
