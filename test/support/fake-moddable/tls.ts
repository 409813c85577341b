// embedded:io/socket/tcp/tls: not exercised on Node (Moddable's TLS stack is its own); the
// test only checks that the options the transport hands over are well formed.
export default class TLSSocket {
  static last: Record<string, unknown> | undefined;
  constructor(options: Record<string, unknown>) {
    TLSSocket.last = options;
    throw new Error('TLS is not simulated');
  }
}
