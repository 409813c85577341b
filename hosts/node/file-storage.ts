// Storage as files in a data directory, for the Node host. Appends are fsynced before they
// return; a replace writes a temporary file, fsyncs it, renames it over the old one and
// fsyncs the directory, so after a crash the file is the old one or the new one.
//
// Flash holds secrets in clear (remote keys, broker passwords): the directory is 0700 and every
// file 0600, whatever the umask, and files an older version left readable are closed up.
import { chmodSync, closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Storage } from '../../src/store/storage.ts';

const validName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class FileStorage implements Storage {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    for (const name of readdirSync(dir)) chmodSync(path.join(dir, name), 0o600);
  }

  private path(name: string): string {
    if (!validName.test(name) || name.endsWith('.tmp')) throw new RangeError(`storage: bad file name ${JSON.stringify(name)}`);
    return path.join(this.dir, name);
  }

  read(name: string): Uint8Array {
    const file = this.path(name);
    try {
      return new Uint8Array(readFileSync(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Uint8Array(0);
      throw err;
    }
  }

  append(name: string, bytes: Uint8Array): void {
    const file = this.path(name);
    const created = !existsSync(file);
    const fd = openSync(file, 'a', 0o600);
    try {
      if (created) fchmodSync(fd, 0o600);
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (created) this.syncDir();
  }

  replace(name: string, bytes: Uint8Array): void {
    const file = this.path(name);
    const temp = `${file}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    this.syncDir();
  }

  remove(name: string): void {
    try {
      unlinkSync(this.path(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.syncDir();
  }

  size(name: string): number {
    try {
      return statSync(this.path(name)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  /** Makes a create, rename or unlink durable: the directory entry itself is fsynced. */
  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}
