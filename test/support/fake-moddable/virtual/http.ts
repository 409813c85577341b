// STAND-IN for Moddable's `http` Server, test only: world.http(...) plays a client through
// the same callback steps (and message numbers) Moddable's server uses.
import { world } from './world';

export class Server {
  static readonly connection = 1;
  static readonly status = 2;
  static readonly header = 3;
  static readonly headersComplete = 4;
  static readonly requestFragment = 5;
  static readonly requestComplete = 6;
  static readonly prepareResponse = 8;
  static readonly responseFragment = 9;
  static readonly responseComplete = 10;
  static readonly error = -1;

  readonly port: number;
  callback?: (...args: unknown[]) => unknown;
  /** The open connections (Moddable's Request objects), as Moddable's server keeps them. */
  connections: object[] = [];

  constructor(options: { port?: number } = {}) {
    this.port = options.port ?? 80;
    if (world.httpServers.some((s) => s.port === this.port)) throw new Error('listener: port in use');
    world.httpServers.push(this);
    world.record(`HTTP server on port ${this.port}`);
  }

  close(): void {
    const i = world.httpServers.indexOf(this);
    if (i >= 0) world.httpServers.splice(i, 1);
  }
}
export default { Server };
