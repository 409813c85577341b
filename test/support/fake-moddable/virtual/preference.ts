// STAND-IN for Moddable's `preference` module (the ESP32's NVS partition), test only: values
// live in the world's flash map under "nvs:<domain>/<key>", apart from littlefs's paths, so a
// test can wipe littlefs (as its format on a mount error does) and leave NVS as it was.
import { world } from './world';

const path = (domain: string, key: string) => `nvs:${domain}/${key}`;

export default {
  get(domain: string, key: string): string | undefined {
    const bytes = world.files.get(path(domain, key));
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  },
  set(domain: string, key: string, value: unknown): void {
    if (typeof value !== 'string') throw new Error('stand-in: only strings are kept');
    world.files.set(path(domain, key), new TextEncoder().encode(value));
  },
  delete(domain: string, key: string): void { world.files.delete(path(domain, key)); },
  keys(domain: string): string[] {
    const prefix = `nvs:${domain}/`;
    return [...world.files.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  },
};
