// STAND-IN for embedded:io/socket/tcp on the virtual network, test only: there is no broker
// here, so every connection is refused (onError) a moment after it is asked for.
import { world } from './world';

interface Options { address: string; port: number; onError?: () => void }

export default class TCP {
  private closed = false;
  constructor(options: Options) {
    world.tcpConnects.push({ at: world.now, address: options.address, port: options.port });
    world.later(100, () => { if (!this.closed) options.onError?.(); });
  }
  read(): undefined { return undefined; }
  write(): number { throw new Error('not connected'); }
  close(): void { this.closed = true; }
}
