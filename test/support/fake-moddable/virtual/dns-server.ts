// STAND-IN for Moddable's `dns/server`, test only: world.dnsQuery(name) asks it as a phone would.
import { world } from './world';

export default class DNSServer {
  private readonly callback: (message: number, value?: string) => string | undefined;
  constructor(callback: (message: number, value?: string) => string | undefined) {
    this.callback = callback;
    world.dnsServers.push(callback);
    world.record('DNS server on port 53');
  }
  close(): void {
    const i = world.dnsServers.indexOf(this.callback);
    if (i >= 0) world.dnsServers.splice(i, 1);
    world.record('DNS server closed');
  }
}
