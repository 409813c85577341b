// The persistence seam. Hosts map it to flash (ESP32), a file (Node) or memory (tests).
//
// A Storage is a small set of named append-only files. Appends go to the end and may be
// torn by a power cut: the store's record format, not the Storage, makes that safe.

export interface Storage {
  /** Whole content of a file; an empty array if it does not exist. */
  read(name: string): Uint8Array;
  /** Appends bytes at the end of a file (creating it). May be torn by a power cut. */
  append(name: string, bytes: Uint8Array): void;
  /** Replaces a file as one atomic step (write aside, then rename): old or new, never a mix. */
  replace(name: string, bytes: Uint8Array): void;
  remove(name: string): void;
  /** Bytes in use by a file, 0 if absent. */
  size(name: string): number;
}
