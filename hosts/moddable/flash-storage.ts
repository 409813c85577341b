// Storage on the ESP32's flash, through Moddable's `file` module on littlefs
// (manifest: include $MODDABLE/modules/files/file/manifest_littlefs.json).
//
// littlefs is copy-on-write: data appended to a file is committed when the file is closed
// (synced), and a power cut before that leaves the file as it was. Its rename replaces the
// target atomically, which is what `replace` needs. (SPIFFS, Moddable's default on ESP32,
// cannot rename over an existing file and must not be used for the journal.)
import { File } from 'file';
import type { Storage } from '../../src/store/storage';

// Regular expressions are made per call: a RegExp made at module load lives in flash under
// Moddable's preload, and XS crashed (SIGSEGV in RegExp.prototype.exec under mcsim) using one.
const validName = (name: string) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(name);

export class FlashStorage implements Storage {
  /** `root`: the file system root with its trailing slash, e.g. `config.file.root` from `mc/config`. */
  constructor(private readonly root: string) {}

  private path(name: string): string {
    if (!validName(name) || name.endsWith('.tmp')) throw new RangeError(`storage: bad file name ${JSON.stringify(name)}`);
    return this.root + name;
  }

  read(name: string): Uint8Array {
    const path = this.path(name);
    if (!File.exists(path)) return new Uint8Array(0);
    const file = new File(path);
    try {
      // An empty file (a cut between create and write leaves one): modLittlefs.c's read throws
      // "read past end of file" at the end, even for nothing at all.
      if (file.length === 0) return new Uint8Array(0);
      return new Uint8Array(file.read(ArrayBuffer));
    } finally {
      file.close();
    }
  }

  append(name: string, bytes: Uint8Array): void {
    const file = new File(this.path(name), true); // created when absent; never truncated
    try {
      file.position = file.length;
      file.write(toArrayBuffer(bytes));
    } finally {
      file.close(); // littlefs commits the appended data here
    }
  }

  replace(name: string, bytes: Uint8Array): void {
    const path = this.path(name);
    const temp = `${path}.tmp`;
    if (File.exists(temp)) File.delete(temp); // a leftover from a cut replace
    const file = new File(temp, true);
    try {
      file.write(toArrayBuffer(bytes));
    } finally {
      file.close();
    }
    // `to` is a bare name: Moddable renames within the directory of `from` (a path there that is
    // not absolute is refused: "invalid to").
    if (!File.rename(temp, name)) throw new Error(`storage: rename of ${temp} failed`);
  }

  remove(name: string): void {
    const path = this.path(name);
    if (File.exists(path)) File.delete(path);
  }

  size(name: string): number {
    const path = this.path(name);
    if (!File.exists(path)) return 0;
    const file = new File(path);
    try {
      return file.length;
    } finally {
      file.close();
    }
  }
}

/** The file module writes ArrayBuffers: copy when the bytes are a view into a larger buffer. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}
