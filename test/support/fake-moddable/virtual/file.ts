// STAND-IN for Moddable's `file` module over littlefs, test only: files live in world.files.
// As littlefs: rename replaces its target atomically; a file opened to write is created.
import { world } from './world';

export class File {
  private readonly path: string;
  position = 0;

  constructor(path: string, write = false) {
    world.touchFlash();
    if (!world.files.has(path)) {
      if (!write) throw new Error(`file not found: ${path}`);
      world.files.set(path, new Uint8Array(0));
    }
    this.path = path;
  }

  get length(): number { return this.bytes.length; }
  private get bytes(): Uint8Array {
    const b = world.files.get(this.path);
    if (!b) throw new Error(`file closed or deleted: ${this.path}`);
    return b;
  }

  read(_type: typeof ArrayBuffer, count?: number): ArrayBuffer {
    // As modLittlefs.c: reading the rest (or past the end) at the end of a file throws, even of an empty file.
    if ((count === undefined || this.length < this.position + count) && this.position >= this.length) throw new Error('read past end of file');
    const end = count === undefined ? this.length : Math.min(this.length, this.position + count);
    const out = this.bytes.slice(this.position, end);
    this.position = end;
    return out.buffer;
  }

  write(...values: Array<ArrayBuffer | string>): void {
    for (const value of values) {
      if (typeof value === 'string') throw new Error('stand-in: strings are not written by the host');
      const data = new Uint8Array(value);
      const old = this.bytes;
      const grown = new Uint8Array(Math.max(old.length, this.position + data.length));
      grown.set(old);
      grown.set(data, this.position);
      world.files.set(this.path, grown);
      this.position += data.length;
    }
  }

  close(): void {}

  static exists(path: string): boolean { world.touchFlash(); return world.files.has(path); }
  static delete(path: string): boolean { world.touchFlash(); return world.files.delete(path); }
  /** As modLittlefs.c: a `to` that is not absolute is a name in the directory of `from`. */
  static rename(from: string, to: string): boolean {
    if (!to.startsWith('/')) {
      if (to.includes('/')) throw new Error('invalid to');
      to = from.slice(0, from.lastIndexOf('/') + 1) + to;
    }
    world.touchFlash();
    const bytes = world.files.get(from);
    if (!bytes) return false;
    world.files.delete(from);
    world.files.set(to, bytes);
    return true;
  }
}
