// STAND-IN for Moddable's TLS engine `ssl/session` ($MODDABLE/modules/crypt/ssl/session_419.js),
// test only: no cryptography, records pass in clear, but the calls, the byte counts it keeps on
// the socket (`readable`, `writable`) and the ways it fails are the SDK's: it throws
// "certificate: auth err" on a certificate that does not verify, "alert: 2, 40" when the peer
// sends an alert, "recordProtocol: auth failed" on a record whose MAC fails. `FakeSession.mode`
// picks the failure for the next sessions; `FakeSession.last` is the last one's options.
type Counted = { readable: number; writable: number; read(into: Uint8Array): unknown; write(bytes: Uint8Array): number };

export type Mode = 'ok' | 'bad-certificate' | 'alert' | 'close-notify' | 'bad-record';

export default class FakeSession {
  static mode: Mode = 'ok';
  static last: Record<string, unknown> | undefined;
  alert: { level: number; description: number } | undefined;
  private step = 0;
  private readonly mode = FakeSession.mode;

  constructor(options: Record<string, unknown>) {
    FakeSession.last = options;
    if (options.protocolVersion !== 0x303) throw new Error('protocolVersion: not supported');
  }

  initiateHandshake(): void { this.step = 1; }

  handshake(s: Counted): boolean {
    if (this.step === 1) { // ClientHello
      this.step = 2;
      s.writable = s.write(new TextEncoder().encode('client-hello\n'));
      return false;
    }
    if (s.readable === 0) return false;
    this.drain(s); // the server's flight, whole
    if (this.mode === 'bad-certificate') throw new Error('certificate: auth err');
    if (this.mode === 'alert') throw new Error('alert: 2, 40');
    if (this.mode === 'close-notify') { this.alert = { level: 1, description: 0 }; return true; }
    return true;
  }

  read(s: Counted): Uint8Array | null | undefined {
    if (s.readable === 0) return undefined;
    const data = this.drain(s);
    if (this.mode === 'bad-record') throw new Error('recordProtocol: auth failed');
    return data;
  }

  write(s: Counted, data: Uint8Array): number {
    s.writable = s.write(data);
    return Math.max(0, s.writable - 32);
  }

  private drain(s: Counted): Uint8Array {
    const data = new Uint8Array(s.readable);
    s.read(data);
    s.readable = 0;
    return data;
  }
}
