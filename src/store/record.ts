// Record framing: every byte the journal writes is inside one of these.
//
//   u32 LE payload length n | u8 type | n bytes payload | u32 LE CRC-32 of the 5 + n bytes before it
//
// A reader walks a file from the start and stops at the first record that is short or
// fails its CRC: everything before that point is intact, everything after it is a torn
// tail (a power cut during an append) or garbage, and is never handed out.

/** Bytes a record adds around its payload: length (4) + type (1) + CRC (4). */
export const FRAME_BYTES = 9;

/** Largest event the journal takes, in bytes (a CBOR event is well under 100). */
export const MAX_EVENT_BYTES = 1024;

// CRC-32 (IEEE 802.3, reflected, as zlib and PNG use it), table-driven. Written here
// because it is a dozen lines and no npm CRC package runs on XS without Node's Buffer;
// Moddable's own `crc` module has only CRC-8 and CRC-16.
// Made at load: on Moddable the preload puts the 1 KB table in flash, where it is only read.
const table = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();


/**
 * CRC-32 of `bytes`; pass a previous result as `crc` to continue over more bytes. Four bytes a
 * turn: XS interprets every loop test and step, and every record to flash (a state save, an
 * event, an outbox entry) is checksummed on the alarm path (−18 % computrons, bench/report.md).
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = table;
  const n = bytes.length;
  let c = ~crc;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 1]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 2]) & 0xff] ^ (c >>> 8);
    c = t[(c ^ bytes[i + 3]) & 0xff] ^ (c >>> 8);
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function putU32(into: Uint8Array, at: number, value: number): void {
  into[at] = value & 0xff;
  into[at + 1] = (value >>> 8) & 0xff;
  into[at + 2] = (value >>> 16) & 0xff;
  into[at + 3] = (value >>> 24) & 0xff;
}

export function getU32(from: Uint8Array, at: number): number {
  return (from[at] | (from[at + 1] << 8) | (from[at + 2] << 16) | (from[at + 3] << 24)) >>> 0;
}

/** A sequence number as 8 bytes LE (safe integers only: up to 2^53 − 1). */
export function putSeq(into: Uint8Array, at: number, seq: number): void {
  putU32(into, at, seq % 0x100000000);
  putU32(into, at + 4, Math.floor(seq / 0x100000000));
}

export function getSeq(from: Uint8Array, at: number): number {
  return getU32(from, at + 4) * 0x100000000 + getU32(from, at);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Frames one record. */
export function encodeRecord(type: number, payload: Uint8Array): Uint8Array {
  if (!(type >= 0 && type <= 255 && Math.floor(type) === type)) throw new RangeError(`record type ${type} is not a byte`);
  const out = new Uint8Array(FRAME_BYTES + payload.length);
  putU32(out, 0, payload.length);
  out[4] = type;
  out.set(payload, 5);
  putU32(out, 5 + payload.length, crc32(out.subarray(0, 5 + payload.length)));
  return out;
}

export interface StoredRecord {
  type: number;
  /** A view into the bytes that were read, not a copy. */
  payload: Uint8Array;
  /** Where the record starts and ends in the bytes that were read. */
  start: number;
  end: number;
}

export interface ReadResult {
  /** Every complete record with a good CRC, in file order, up to the first bad one. */
  records: StoredRecord[];
  /** Byte offset where valid data ends: equal to the input length when nothing is torn. */
  end: number;
}

/** The record starting at `at`, if a complete one with a good CRC (and at most `maxPayload` bytes) is there. */
function recordAt(bytes: Uint8Array, at: number, maxPayload: number): StoredRecord | undefined {
  if (bytes.length - at < FRAME_BYTES) return undefined;
  const length = getU32(bytes, at);
  if (length > maxPayload || length > bytes.length - at - FRAME_BYTES) return undefined; // torn, or a garbage length
  const body = 5 + length;
  if (crc32(bytes.subarray(at, at + body)) !== getU32(bytes, at + body)) return undefined;
  return { type: bytes[at + 4], payload: bytes.subarray(at + 5, at + body), start: at, end: at + body + 4 };
}

/** Walks `bytes` record by record and stops at the first bad one. Never throws. */
export function readRecords(bytes: Uint8Array): ReadResult {
  const records: StoredRecord[] = [];
  let at = 0;
  for (let r = recordAt(bytes, 0, Infinity); r; r = recordAt(bytes, at, Infinity)) {
    records.push(r);
    at = r.end;
  }
  return { records, end: at };
}

export interface ScanResult extends ReadResult {
  /** Damaged stretches stepped over, each followed by a valid record. */
  skipped: Array<{ start: number; end: number }>;
}

/**
 * Like `readRecords`, but steps over a damaged stretch to the next valid record instead of
 * stopping. Appends are sequential, so a power cut only ever tears the last record: damage
 * with valid records after it is corruption (bit rot, tampering), which must not silently
 * take the later records with it. `end` is where the last valid record ends; anything after
 * it is a torn tail. Records longer than `maxPayload` are not looked for when resyncing.
 */
export function scanRecords(bytes: Uint8Array, maxPayload = 4096): ScanResult {
  const { records, end: first } = readRecords(bytes);
  const skipped: Array<{ start: number; end: number }> = [];
  let end = first;
  let at = first;
  while (at < bytes.length) {
    const r = recordAt(bytes, at, at === end ? Infinity : maxPayload);
    if (r) {
      if (at > end) skipped.push({ start: end, end: at });
      records.push(r);
      at = end = r.end;
    } else {
      at++;
    }
  }
  return { records, end, skipped };
}
