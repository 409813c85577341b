// Storage in memory, with the faults flash has: torn appends and power cuts. It also
// counts every byte written per file, so tests can account for flash wear.
// Plain ECMAScript: runs in XS.
import type { Storage } from '../../src/store/storage';

/** Thrown by a MemoryStorage whose power was cut: the write in progress stopped part-way. */
export class PowerCut extends Error {
  // A field, not `this.name = …`: Error.prototype is frozen under preload (the override mistake).
  override name = 'PowerCut';
}

interface StoredFile {
  bytes: Uint8Array;
  length: number;
}

export class MemoryStorage implements Storage {
  private files = new Map<string, StoredFile>();
  /** Bytes that may still be written before the power goes. */
  private budget = Infinity;
  /** Bytes the next append stores before the power goes, whatever its length. */
  private tearAt: number | undefined;
  private off = false;
  /** Bytes written to each file since creation of this storage (appends + replaces). */
  readonly written = new Map<string, number>();

  /** Total bytes written to all files. */
  get totalWritten(): number {
    let total = 0;
    for (const n of this.written.values()) total += n;
    return total;
  }

  /** Names of the files that exist, sorted. */
  names(): string[] {
    return [...this.files.keys()].sort();
  }

  /**
   * The next append stores only its first `bytes` bytes, then the power goes (with `bytes` ≥ its
   * length it completes, and the power goes before the caller hears back).
   */
  tearNextAppend(bytes: number): void {
    this.tearAt = bytes;
  }

  /**
   * The power goes after `bytes` more bytes have been written, whatever writes them. A replace
   * cut short leaves the old file (it writes aside, then renames).
   */
  cutPowerAfter(bytes: number): void {
    this.budget = bytes;
  }

  /** True once a cut has happened, until `powerOn()`. */
  get isOff(): boolean {
    return this.off;
  }

  /** The device boots again: the files keep whatever reached them. */
  powerOn(): void {
    this.off = false;
    this.budget = Infinity;
    this.tearAt = undefined;
  }

  /** A copy of the files, to branch a test from: no fault set, wear counted from zero. */
  clone(): MemoryStorage {
    const copy = new MemoryStorage();
    for (const [name, f] of this.files) copy.files.set(name, { bytes: f.bytes.slice(0, f.length), length: f.length });
    return copy;
  }

  /** XORs one stored byte with `mask`: bit rot, or someone editing the flash. */
  flip(name: string, offset: number, mask = 0x01): void {
    const f = this.files.get(name);
    if (!f || offset < 0 || offset >= f.length) throw new RangeError(`no byte ${offset} in ${name}`);
    f.bytes[offset] ^= mask;
  }

  /** Cuts a file to `length` bytes, as a torn write found on disk would. */
  truncate(name: string, length: number): void {
    const f = this.files.get(name);
    if (f && length < f.length) f.length = length;
  }

  read(name: string): Uint8Array {
    this.check();
    const f = this.files.get(name);
    return f ? f.bytes.slice(0, f.length) : new Uint8Array(0);
  }

  append(name: string, bytes: Uint8Array): void {
    this.check();
    const room = Math.min(bytes.length, this.budget, this.tearAt ?? Infinity);
    let f = this.files.get(name);
    if (!f) {
      f = { bytes: new Uint8Array(Math.max(64, room)), length: 0 };
      this.files.set(name, f);
    }
    if (f.length + room > f.bytes.length) {
      const grown = new Uint8Array(Math.max(f.length + room, f.bytes.length * 2));
      grown.set(f.bytes.subarray(0, f.length));
      f.bytes = grown;
    }
    f.bytes.set(bytes.subarray(0, room), f.length);
    f.length += room;
    this.wear(name, room);
    if (this.tearAt !== undefined) this.cut(`append to ${name} torn after ${room} of ${bytes.length} bytes`);
    this.spend(room, bytes.length, `append to ${name} torn after ${room} of ${bytes.length} bytes`);
  }

  replace(name: string, bytes: Uint8Array): void {
    this.check();
    // Written aside first: a cut before the rename leaves the old file untouched.
    const room = Math.min(bytes.length, this.budget);
    this.wear(name, room);
    if (room === bytes.length) this.files.set(name, { bytes: bytes.slice(), length: bytes.length });
    this.spend(room, bytes.length, `replace of ${name} cut after ${room} of ${bytes.length} bytes, old file kept`);
  }

  remove(name: string): void {
    this.check();
    this.files.delete(name);
  }

  size(name: string): number {
    this.check();
    return this.files.get(name)?.length ?? 0;
  }

  private check(): void {
    if (this.off) throw new PowerCut('storage is off: the power was cut');
  }

  private wear(name: string, bytes: number): void {
    this.written.set(name, (this.written.get(name) ?? 0) + bytes);
  }

  /** Counts a write against the budget; at zero the power goes, mid-write or right after it. */
  private spend(done: number, wanted: number, what: string): void {
    if (this.budget === Infinity) return;
    this.budget -= done;
    if (done < wanted) this.cut(what);
    if (this.budget <= 0) this.cut('the write completed as the power went');
  }

  private cut(what: string): never {
    this.off = true;
    this.tearAt = undefined;
    this.budget = Infinity;
    throw new PowerCut(`power cut: ${what}`);
  }
}
