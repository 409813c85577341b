// The event log exported by command (`log_export`): the bytes of the log's export (hash chain
// and all, see src/store/event-log.ts) cut into numbered chunks on `{p}/{id}/log`, each one
// CBOR map that fits one MQTT packet. The reply to the command says how many chunks there are.
//
//   log-chunk = { 0 => 1, 1 => command-id, 2 => index (0-based), 3 => count, 4 => bstr }
//
// Chunks are QoS 1 and not retained: whoever sent the command subscribes first, collects the
// chunks with its command's id and joins them in index order (`joinLogChunks`).
import { decodeCbor, encodeCbor } from './cbor';

export const LogChunkKey = Object.freeze({ v: 0, id: 1, index: 2, count: 3, data: 4 } as const);
const VERSION = 1;
/** CBOR around the data of one chunk, at most: map head, five keys, v, id, index, count, bstr head. */
export const LOG_CHUNK_OVERHEAD = 1 + 5 + 1 + 5 + 5 + 5 + 5;
const MAX_ID = 0xffffffff;
const MAX_CHUNKS = 0xffff;

export interface LogChunk {
  /** The id of the `log_export` command this answers. */
  id: number;
  index: number;
  count: number;
  data: Uint8Array;
}

/**
 * The chunks of `exported` for command `id`, each at most `maxPayload` bytes. Throws a
 * RangeError when `maxPayload` leaves no room for data or the export needs too many chunks.
 */
export function encodeLogChunks(id: number, exported: Uint8Array, maxPayload: number): Uint8Array[] {
  const size = Math.floor(maxPayload) - LOG_CHUNK_OVERHEAD;
  if (!(size >= 16)) throw new RangeError(`a log chunk of ${maxPayload} bytes leaves no room for data`);
  const count = Math.max(1, Math.ceil(exported.length / size));
  if (count > MAX_CHUNKS) throw new RangeError(`the log needs ${count} chunks, more than ${MAX_CHUNKS}`);
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const data = exported.slice(index * size, (index + 1) * size);
    chunks.push(new Uint8Array(encodeCbor(new Map<number, unknown>([
      [LogChunkKey.v, VERSION], [LogChunkKey.id, id], [LogChunkKey.index, index], [LogChunkKey.count, count], [LogChunkKey.data, data],
    ]))));
  }
  return chunks;
}

const isUint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Reads one chunk; an error names what is wrong. */
export function decodeLogChunk(bytes: Uint8Array): { chunk: LogChunk } | { error: string } {
  let map: unknown;
  try {
    map = decodeCbor(bytes);
  } catch (err) {
    return { error: `log chunk: ${(err as Error).message}` };
  }
  if (!(map instanceof Map)) return { error: 'log chunk: not a CBOR map' };
  if (map.get(LogChunkKey.v) !== VERSION) return { error: `log chunk: version ${String(map.get(LogChunkKey.v))} is not 1` };
  const id = map.get(LogChunkKey.id);
  const index = map.get(LogChunkKey.index);
  const count = map.get(LogChunkKey.count);
  const data = map.get(LogChunkKey.data);
  if (!isUint(id, MAX_ID)) return { error: 'log chunk: id is not an unsigned integer below 2^32' };
  if (!isUint(count, MAX_CHUNKS) || count === 0) return { error: 'log chunk: count is not 1–65535' };
  if (!isUint(index, count - 1)) return { error: `log chunk: index ${String(index)} is not below the count ${count}` };
  if (!(data instanceof Uint8Array)) return { error: 'log chunk: data is not a byte string' };
  return { chunk: { id, index, count, data: new Uint8Array(data) } };
}

/** The export again, from every chunk of one command (any order); an error names what is missing. */
export function joinLogChunks(chunks: readonly LogChunk[]): { bytes: Uint8Array } | { error: string } {
  if (chunks.length === 0) return { error: 'no log chunks' };
  const { id, count } = chunks[0];
  const byIndex = new Map<number, Uint8Array>();
  for (const c of chunks) {
    if (c.id !== id || c.count !== count) return { error: `chunk ${c.index} belongs to another export (id ${c.id}, ${c.count} chunks)` };
    byIndex.set(c.index, c.data); // a resent chunk (DUP) carries the same bytes
  }
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0) return { error: `${missing.length} of ${count} chunks missing (first: ${missing[0]})` };
  let total = 0;
  for (const d of byIndex.values()) total += d.length;
  const out = new Uint8Array(total);
  for (let i = 0, at = 0; i < count; i++) {
    const d = byIndex.get(i)!;
    out.set(d, at);
    at += d.length;
  }
  return { bytes: out };
}
