// STAND-IN for the SDK's `embedded:io/socket/tcp/tls` ($MODDABLE/examples/io/tcp/tlssocket/tlssocket.js),
// test only: the same shape over the `ssl/session` stand-in. Like the SDK's, it runs the session
// inside the TCP callbacks with nothing to catch what it throws: the hazard hosts/moddable/tls.ts
// removes. Kept to show the transport tests fail on a transport that uses it.
import Session from './ssl-session';

type Tcp = { readable: number; writable: number; read(into: Uint8Array): unknown; write(bytes: Uint8Array): number; close(): void };

export default class TLSSocket {
  private readonly socket: Tcp;
  private readonly session: Session;
  private ready = false;
  private data: Uint8Array | undefined;

  constructor(private readonly options: any) {
    this.session = new Session({ serverName: options.host, ...options.secure, protocolVersion: 0x303 });
    this.session.initiateHandshake();
    this.socket = new options.TCP.io({
      ...options,
      onReadable: (count: number) => this.onReadable(count),
      onWritable: (count: number) => this.onWritable(count),
      onError: () => options.onError?.(),
    });
    this.socket.readable = this.socket.writable = 0;
  }

  read(): ArrayBuffer | undefined { const d = this.data; this.data = undefined; return d?.slice().buffer; }
  write(bytes: Uint8Array): number { return this.session.write(this.socket, bytes); }
  close(): void { this.socket.close(); }

  private onWritable(count: number): void {
    this.socket.writable = count;
    if (!this.ready) { if (this.session.handshake(this.socket)) { this.ready = true; this.onWritable(this.socket.writable); } }
    else if (count > 96) this.options.onWritable?.(count - 96);
  }

  private onReadable(count: number): void {
    this.socket.readable = count;
    if (!this.ready) {
      if (this.session.handshake(this.socket)) { this.ready = true; this.onWritable(this.socket.writable); }
      return;
    }
    const data = this.session.read(this.socket);
    if (data === null) return void this.options.onError?.();
    if (!data?.byteLength) return;
    this.data = data;
    this.options.onReadable?.(data.byteLength);
  }
}
