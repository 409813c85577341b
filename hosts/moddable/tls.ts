// A TLS client socket over Moddable's TLS engine (`ssl/session`) and ECMA-419 TCP, in which
// nothing the TLS layer throws can escape.
//
// Why not Moddable's own `embedded:io/socket/tcp/tls` ($MODDABLE/examples/io/tcp/tlssocket):
// it runs the handshake and decrypts records inside the native TCP callbacks (and in a Timer
// it sets to read what is left), and `ssl/session` throws there on a certificate that does not
// verify ("certificate: auth err"), on any alert from the peer, on a record that fails its MAC.
// Nothing catches it: an unhandled exception in a native callback is `XS abort`, a restart on
// the ESP32, so anyone on the path with a bad certificate could reset the panel in a loop. Its
// handlers are private (#) and its Timer its own, so it cannot be wrapped from outside.
//
// This follows the same calls on the session (handshake, read, write), every entry from the
// outside (the TCP callbacks) runs inside `guard`, and records are read in a loop in the
// callback itself (no Timer). Any exception closes the TCP socket and is reported once, as
// `onError(reason)`; the uplink then reconnects with its backoff.
import TCP from "embedded:io/socket/tcp";
import Session from "ssl/session";

export interface TlsOptions {
  address: string;
  port: number;
  /** The server name: SNI, and the name the certificate must carry. */
  host: string;
  /** DER: the CA to trust, the client certificate chain and its key (PKCS#8). */
  certificate?: Uint8Array;
  clientCertificates?: Uint8Array[];
  clientKey?: Uint8Array;
  /** The handshake is done; `count` bytes may be written (as ECMA-419 sockets say). */
  onWritable(count: number): void;
  /** `count` bytes of application data wait for `read`. */
  onReadable(count: number): void;
  /** The link is gone: the peer closed it, the network failed, or TLS refused (the reason says). */
  onError(reason: string): void;
}

/** Room kept for a record's header, MAC and padding (the SDK's socket reserves the same). */
const OVERHEAD = 96;

/** What `ssl/session` uses of its socket: the TCP socket, with counts it keeps up to date. */
type Counted = TCP & { readable: number; writable: number };

export class TlsSocket {
  private tcp: Counted | undefined;
  private session: Session | undefined;
  private ready = false;
  private data: Uint8Array | undefined;

  constructor(private readonly options: TlsOptions) {
    const session = new Session({
      serverName: options.host,
      protocolVersion: 0x303,
      certificate: options.certificate,
      clientCertificates: options.clientCertificates,
      clientKey: options.clientKey,
    });
    session.initiateHandshake();
    this.session = session;
    const tls = this;
    const tcp = new TCP({
      address: options.address,
      port: options.port,
      nodelay: true,
      format: "buffer",
      onReadable(count: number) { tls.guard(() => tls.tcpReadable(count)); },
      onWritable(count: number) { tls.guard(() => tls.tcpWritable(count)); },
      onError() { tls.guard(() => tls.fail("connection lost")); },
    } as ConstructorParameters<typeof TCP>[0]) as Counted;
    tcp.readable = 0;
    tcp.writable = 0;
    this.tcp = tcp;
  }

  /** The application data of the last onReadable (all of it: `count` is what onReadable said). */
  read(_count?: number): ArrayBuffer | undefined {
    const data = this.data;
    this.data = undefined;
    return data?.slice().buffer as ArrayBuffer | undefined;
  }

  /** Encrypts and sends one record; returns the bytes that may still be written (as the SDK's socket). */
  write(bytes: Uint8Array): number {
    if (!this.tcp || !this.session || !this.ready) throw new Error("TLS: not connected");
    return this.session.write(this.tcp, bytes);
  }

  close(): void {
    const tcp = this.tcp;
    this.tcp = undefined;
    this.session = undefined;
    this.data = undefined;
    try { tcp?.close(); } catch { /* already closed */ }
  }

  /** Runs a callback; whatever it throws (TLS, or the consumer's handlers) ends the link instead of the panel. */
  private guard(callback: () => void): void {
    if (!this.tcp) return;
    try {
      callback();
    } catch (err) {
      this.fail(`TLS: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private fail(reason: string): void {
    if (!this.tcp) return;
    this.close();
    try { this.options.onError(reason); } catch { /* the consumer's own trouble: the link is closed either way */ }
  }

  private tcpWritable(count: number): void {
    const tcp = this.tcp!;
    tcp.writable = count;
    if (!this.ready) this.handshake(false);
    else if (count > OVERHEAD) this.options.onWritable(count - OVERHEAD);
  }

  private tcpReadable(count: number): void {
    const tcp = this.tcp!;
    tcp.readable = count;
    if (!this.ready) {
      this.handshake(true);
      if (!this.ready) this.handshake(false);
      return;
    }
    // Every whole record there is, now: nothing is left for a later (unguarded) turn.
    while (this.tcp && this.session && this.tcp.readable > 0) {
      const data = this.session.read(this.tcp);
      if (data === undefined) return; // part of a record: the rest comes with the next onReadable
      if (data === null) return this.fail("TLS: closed by the peer");
      if (data.byteLength === 0) continue;
      this.data = data;
      this.options.onReadable(data.byteLength);
      this.data = undefined; // what the consumer did not read in its callback is not kept
    }
  }

  /** One step of the handshake, as the SDK's socket does it; `read`: a record came in. */
  private handshake(read: boolean): void {
    const tcp = this.tcp!;
    const session = this.session!;
    if (session.handshake(tcp)) {
      // The session also stops handshaking on an alert it was sent (close_notify does not throw).
      if (session.alert) return this.fail(`TLS: alert ${session.alert.level}, ${session.alert.description} during the handshake`);
      this.ready = true;
      this.tcpWritable(tcp.writable);
    }
    if (read && this.tcp) session.read(tcp);
  }
}
