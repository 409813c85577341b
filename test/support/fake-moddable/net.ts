// Moddable's `net` module: only Net.resolve, over Node's resolver.
import dns from 'node:dns';

export default {
  resolve(name: string, callback: (name: string, address?: string) => void): void {
    dns.lookup(name, { family: 4 }, (err, address) => callback(name, err ? undefined : address));
  },
};
