// What the panel publishes, byte for byte: the event, the state snapshot and the status.
// src/uplink/wire.cddl is the contract; these are its only encoders and decoders.
import { encodeCbor, decodeCbor, cborHead, CborError } from './cbor';
import { isContactIdCode, type PanelEvent } from '../core/events';
import { concat } from '../store/record';
import { utf8 } from '../text';

/** The `v` every CBOR payload carries. A consumer refuses a version it does not know. */
export const WIRE_VERSION = 1;

/** Integer keys of the event map (small integers: one byte each on the wire). */
export const EventKey = Object.freeze({ v: 0, seq: 1, boot: 2, uptime: 3, time: 4, code: 5, q: 6, zone: 7, user: 8 } as const);

/** A zone alarm (seq, boot, time < 2^32, uptime < 2^53, zone < 256) always fits in this. */
export const ZONE_ALARM_EVENT_MAX_BYTES = 48;

export class PayloadError extends Error {}

const TWO_32 = 4294967296;

/**
 * An integer as CBOR's shortest form. cbor-x writes integers of 2^32 and above as
 * float64; a BigInt makes it write them as the uint64/nint64 the contract promises.
 */
function wireInt(n: number): number | bigint {
  return n >= TWO_32 || n <= -TWO_32 ? BigInt(n) : n;
}

/** An integer from the wire: cbor-x decodes 64-bit integers as BigInt. */
function readInt(value: unknown): number | undefined {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : undefined;
  }
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

// ---------------------------------------------------------------------------------------
// Event: {p}/{id}/event, one per message, never retained.

export function encodeEvent(event: PanelEvent): Uint8Array {
  const { seq, boot, uptime, time, code, q, zone, user } = event;
  if (!isCount(seq)) throw new PayloadError(`event seq must be an integer ≥ 0, got ${seq}`);
  if (!isCount(boot)) throw new PayloadError(`event ${seq}: boot must be an integer ≥ 0, got ${boot}`);
  if (!isCount(uptime)) throw new PayloadError(`event ${seq}: uptime must be an integer ≥ 0, got ${uptime}`);
  if (time !== undefined && !isCount(time)) throw new PayloadError(`event ${seq}: time must be Unix seconds, got ${time}`);
  if (!isContactIdCode(code)) throw new PayloadError(`event ${seq}: ${code} is not a Contact ID code of the panel`);
  if (q !== 1 && q !== 3) throw new PayloadError(`event ${seq}: qualifier must be 1 or 3, got ${q}`);
  if (zone !== undefined && !isNumber(zone)) throw new PayloadError(`event ${seq}: zone must be an integer ≥ 1, got ${zone}`);
  if (user !== undefined && !isNumber(user)) throw new PayloadError(`event ${seq}: user must be an integer ≥ 1, got ${user}`);

  const map = new Map<number, number | bigint>([
    [EventKey.v, WIRE_VERSION],
    [EventKey.seq, wireInt(seq)],
    [EventKey.boot, wireInt(boot)],
    [EventKey.uptime, wireInt(uptime)],
  ]);
  if (time !== undefined) map.set(EventKey.time, wireInt(time));
  map.set(EventKey.code, code);
  map.set(EventKey.q, q);
  if (zone !== undefined) map.set(EventKey.zone, wireInt(zone));
  if (user !== undefined) map.set(EventKey.user, wireInt(user));
  return encodeCbor(map);
}

/** Decodes one event; unknown keys are ignored (later additions within version 1). */
export function decodeEvent(bytes: Uint8Array): PanelEvent {
  const map = decodeMap(bytes, 'event');
  checkVersion(map.get(EventKey.v), 'event');
  const field = (key: number, name: string, valid: (n: number) => boolean, optional: boolean): number | undefined => {
    const raw = map.get(key);
    if (raw === undefined && optional) return undefined;
    const n = readInt(raw);
    if (n === undefined || !valid(n)) throw new PayloadError(`event ${name} (key ${key}) is missing or invalid`);
    return n;
  };
  const seq = field(EventKey.seq, 'seq', isCount, false)!;
  const code = field(EventKey.code, 'code', isContactIdCode, false)!;
  const q = field(EventKey.q, 'q', (n) => n === 1 || n === 3, false)! as 1 | 3;
  const event: PanelEvent = {
    seq,
    boot: field(EventKey.boot, 'boot', isCount, false)!,
    uptime: field(EventKey.uptime, 'uptime', isCount, false)!,
    code: code as PanelEvent['code'],
    q,
  };
  const time = field(EventKey.time, 'time', isCount, true);
  const zone = field(EventKey.zone, 'zone', isNumber, true);
  const user = field(EventKey.user, 'user', isNumber, true);
  if (time !== undefined) event.time = time;
  if (zone !== undefined) event.zone = zone;
  if (user !== undefined) event.user = user;
  return event;
}

// ---------------------------------------------------------------------------------------
// State snapshot: {p}/{id}/state, retained. The core hands a plain object; it goes on the
// wire as a text-keyed map, keys in RFC 8949 §4.2.1 order, so equal states give equal bytes.

const MAX_DEPTH = 16;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// The snapshot's keys come from a small vocabulary repeated for every zone: their encoded
// bytes (the sort key) are kept rather than encoded again for each zone of each snapshot.
// Each encoder keeps its own (none at module level: a Map made at load is read-only under
// Moddable's preload).
const KEY_CACHE_MAX = 256;

class KeyBytes {
  private readonly cache = new Map<string | number | bigint, Uint8Array>();

  of(key: string | number | bigint): Uint8Array {
    let bytes = this.cache.get(key);
    if (!bytes) {
      bytes = encodeCbor(key).slice(); // kept: a view would pin cbor-x's 8 KB buffer
      if (this.cache.size < KEY_CACHE_MAX) this.cache.set(key, bytes);
    }
    return bytes;
  }
}

/** Map entries sorted by the bytes of their encoded keys (deterministic CBOR). */
function sortedMap(entries: Array<[string | number, unknown]>, path: string, depth: number, keys: KeyBytes): Map<unknown, unknown> {
  const keyed = entries.map(([k, v]) => {
    const key = typeof k === 'number' ? wireInt(k) : k;
    return { key, bytes: keys.of(key), value: toWire(v, `${path}.${k}`, depth + 1, keys) };
  });
  keyed.sort((a, b) => compareBytes(a.bytes, b.bytes));
  for (let i = 1; i < keyed.length; i++) {
    if (compareBytes(keyed[i - 1].bytes, keyed[i].bytes) === 0) throw new PayloadError(`${path}: duplicate key ${String(keyed[i].key)}`);
  }
  return new Map(keyed.map((e) => [e.key, e.value]));
}

function toWire(value: unknown, path: string, depth: number, keys: KeyBytes): unknown {
  if (depth > MAX_DEPTH) throw new PayloadError(`${path}: nested deeper than ${MAX_DEPTH}`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PayloadError(`${path}: ${value} is not a finite number`);
    return Number.isInteger(value) ? wireInt(value) : value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value); // a plain byte string, whatever the subclass
  if (Array.isArray(value)) return value.map((v, i) => toWire(v, `${path}[${i}]`, depth + 1, keys));
  if (value instanceof Map) {
    const entries: Array<[string | number, unknown]> = [];
    for (const [k, v] of value) {
      if (typeof k !== 'string' && !(typeof k === 'number' && Number.isSafeInteger(k))) {
        throw new PayloadError(`${path}: map keys must be text or integers`);
      }
      if (v !== undefined) entries.push([k, v]);
    }
    return sortedMap(entries, path, depth, keys);
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new PayloadError(`${path}: only plain objects, arrays and maps go on the wire`);
    const entries = Object.keys(value).map((k): [string, unknown] => [k, (value as Record<string, unknown>)[k]]);
    return sortedMap(entries.filter(([, v]) => v !== undefined), path, depth, keys);
  }
  throw new PayloadError(`${path}: a ${typeof value} cannot go on the wire`);
}

function checkState(state: Record<string, unknown>): void {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new PayloadError('state must be an object');
  if ('v' in state) throw new PayloadError('state must not carry its own "v": the wire version is added here');
}

export function encodeState(state: Record<string, unknown>): Uint8Array {
  checkState(state);
  return encodeCbor(toWire({ v: WIRE_VERSION, ...state }, 'state', 0, new KeyBytes()));
}

/** Kept in place of what is not plain data: the same as nothing a caller can hand in. */
const UNKEPT = Symbol('unkept');

/** Deeply frozen plain data: it can never change, so the object itself may be kept and compared by identity. */
function isFixed(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (!Object.isFrozen(value)) return false;
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
  }
  for (const k of Object.keys(value)) if (!isFixed((value as Record<string, unknown>)[k])) return false;
  return true;
}

/**
 * What to keep of `value` beside its bytes: deeply frozen data as it is, other plain data as a
 * copy (the caller may change its own afterwards) without its undefined fields, which encode to
 * nothing; anything else (a byte string, a map) as UNKEPT, to be encoded again each time.
 */
function keepData(value: unknown): unknown {
  if (isFixed(value)) return value;
  if (Array.isArray(value)) return value.map(keepData);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return UNKEPT;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value as object)) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = keepData(v);
  }
  return out;
}

/**
 * Would `value` encode to the bytes `kept` (from keepData) was encoded to? The same object or
 * primitive (0 and −0 encode alike; NaN never reaches the wire), else plain objects and arrays
 * field by field.
 */
function sameData(kept: unknown, value: unknown): boolean {
  if (kept === value) return true;
  if (typeof kept !== 'object' || typeof value !== 'object' || kept === null || value === null) return false;
  if (Array.isArray(kept)) {
    if (!Array.isArray(value) || kept.length !== value.length) return false;
    for (let i = 0; i < kept.length; i++) if (kept[i] !== value[i] && !sameData(kept[i], value[i])) return false;
    return true;
  }
  if (Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const k1 = kept as Record<string, unknown>;
  const v1 = value as Record<string, unknown>;
  const keys = Object.keys(v1); // (cheaper than for-in in XS)
  let fields = 0;
  for (let i = 0; i < keys.length; i++) {
    const v = v1[keys[i]];
    if (v === undefined) continue;
    const w = k1[keys[i]];
    if (w !== v && !sameData(w, v)) return false;
    fields++;
  }
  let keptFields = 0;
  for (const k of Object.keys(k1)) if (k1[k] !== undefined) keptFields++;
  return fields === keptFields;
}

interface Kept { value: unknown; bytes: Uint8Array }

/** A top-level array's items as last encoded: per item, its hint or its kept value, and its bytes; the array's head and total length. */
interface KeptList { hints: unknown[]; values: unknown[]; bytes: Uint8Array[]; head: Uint8Array; length: number }

/** For each top-level array that has them: one object per item that stands for the item's content. */
export type StateHints = Record<string, readonly unknown[]>;

const KEPT_VALUES_MAX = 64;
const LEAVES_MAX = 32;
const ORDERS_MAX = 8;

/**
 * A text as cbor-x writes it (shortest head, UTF-8), with nothing kept (zone names would fill a
 * cache; a call to cbor-x costs several times this in XS): ASCII through the platform's
 * TextEncoder (native), anything else by cbor-x.
 */
function text(value: string): Uint8Array {
  const bytes = utf8(value);
  if (bytes.length !== value.length) return encodeCbor(value).slice(); // not all ASCII
  const head = cborHead(3, bytes.length);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/**
 * State snapshots, byte for byte as `encodeState` writes them, at the cost of what changed: the
 * bytes of each top-level value, and of each item of a top-level array (the zones), are kept and
 * spliced into the next snapshot while the value stays the same. An item with a hint (see
 * `encode`) is unchanged while its hint is the very same object, and nothing else of it is kept;
 * anything else is compared field by field with a private copy (deeply frozen data is kept as it
 * is, and is then the same while it is the same object). One encoder per publisher.
 */
export class StateEncoder {
  private readonly keyBytes = new KeyBytes();
  private readonly values = new Map<string, Kept>();
  private readonly lists = new Map<string, KeptList>();
  /** cbor-x's bytes of the few other primitives met (booleans, null, numbers), bounded: the heap is small. */
  private readonly leaves = new Map<unknown, Uint8Array>();
  private readonly orders: Array<{ keys: string[]; order: number[]; keyBytes: Uint8Array[] }> = [];
  /** The last snapshot's keys, and the same with their bytes in wire order. */
  private keys: string[] = [];
  private order: Array<{ name: string; bytes: Uint8Array }> = [];

  /**
   * `hints[key][i]`, when given (not undefined), is an object that stands for item i of the
   * top-level array `key`: the caller promises that the same hint object always comes with the
   * same item (the panel gives each zone's immutable core state, and a new encoder when its
   * settings change).
   */
  encode(state: Record<string, unknown>, hints?: StateHints): Uint8Array {
    checkState(state);
    if (this.values.size > KEPT_VALUES_MAX) this.values.clear();
    if (this.lists.size > KEPT_VALUES_MAX) this.lists.clear();
    const keys: string[] = [];
    const names = Object.keys(state);
    for (let i = 0; i < names.length; i++) if (state[names[i]] !== undefined) keys.push(names[i]);
    if (!sameData(this.keys, keys)) {
      const order = [{ name: 'v', bytes: this.keyBytes.of('v') }];
      for (const k of keys) order.push({ name: k, bytes: this.keyBytes.of(k) });
      order.sort((a, b) => compareBytes(a.bytes, b.bytes)); // distinct text keys: distinct bytes
      this.keys = keys;
      this.order = order;
    }
    // Each value's bytes (a list: its kept items), then all of it written once into the result.
    const head = cborHead(5, this.order.length);
    const values: Array<Uint8Array | KeptList> = [];
    let length = head.length;
    for (let i = 0; i < this.order.length; i++) {
      const { name, bytes } = this.order[i];
      const v = name === 'v' ? WIRE_VERSION : state[name];
      const value = Array.isArray(v) ? this.array(name, v, hints?.[name]) : this.value(name, v);
      values.push(value);
      length += bytes.length + value.length;
    }
    const out = new Uint8Array(length); // the one copy of every byte (XS counts bytes copied)
    out.set(head, 0);
    let at = head.length;
    for (let i = 0; i < values.length; i++) {
      const key = this.order[i].bytes;
      out.set(key, at);
      at += key.length;
      const value = values[i];
      if (value instanceof Uint8Array) {
        out.set(value, at);
        at += value.length;
        continue;
      }
      out.set(value.head, at);
      at += value.head.length;
      for (let j = 0; j < value.bytes.length; j++) {
        out.set(value.bytes[j], at);
        at += value.bytes[j].length;
      }
    }
    return out;
  }

  private value(key: string, value: unknown): Uint8Array {
    const kept = this.values.get(key);
    if (kept && sameData(kept.value, value)) return kept.bytes;
    const bytes = this.encodeValue(value, `state.${key}`, 1);
    this.values.set(key, { value: keepData(value), bytes });
    return bytes;
  }

  /** A text (written here), a boolean, null or a finite number (from a small cache): its bytes; undefined for anything else. */
  private leaf(value: unknown): Uint8Array | undefined {
    if (typeof value === 'string') return text(value);
    if (value !== null && typeof value !== 'boolean' && (typeof value !== 'number' || !Number.isFinite(value))) return undefined;
    const hit = this.leaves.get(value);
    if (hit) return hit;
    const bytes = encodeCbor(toWire(value, '', 0, this.keyBytes)).slice();
    if (this.leaves.size >= LEAVES_MAX) this.leaves.clear();
    this.leaves.set(value, bytes);
    return bytes;
  }

  /**
   * One value's bytes, as toWire + cbor-x write them: plain objects and arrays assembled from
   * their fields' bytes (an object's key order kept per key list), texts and other primitives by
   * `leaf`, anything else (byte strings, maps, what is refused) by toWire and cbor-x.
   * The result is never a view into cbor-x's shared buffer (it is kept).
   */
  private encodeValue(value: unknown, path: string, depth: number): Uint8Array {
    if (depth > MAX_DEPTH) throw new PayloadError(`${path}: nested deeper than ${MAX_DEPTH}`);
    const leaf = this.leaf(value);
    if (leaf) return leaf;
    if (typeof value !== 'object' || value === null) return encodeCbor(toWire(value, path, depth, this.keyBytes)).slice(); // refused there
    // Below, a leaf's bytes are taken straight from `leaf` (one call less per field), within the depth limit.
    if (Array.isArray(value)) {
      const parts = [cborHead(4, value.length)];
      for (let i = 0; i < value.length; i++) parts.push((depth < MAX_DEPTH && this.leaf(value[i])) || this.encodeValue(value[i], `${path}[${i}]`, depth + 1));
      return concat(parts);
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return encodeCbor(toWire(value, path, depth, this.keyBytes)).slice();
    const object = value as Record<string, unknown>;
    const names = Object.keys(object);
    const keys: string[] = [];
    // Fields in their own order first, as toWire checks them (the same first error), then in wire order.
    const fields: Uint8Array[] = [];
    for (let i = 0; i < names.length; i++) {
      const v = object[names[i]];
      if (v === undefined) continue;
      keys.push(names[i]);
      fields.push((depth < MAX_DEPTH && this.leaf(v)) || this.encodeValue(v, `${path}.${names[i]}`, depth + 1));
    }
    const { order, keyBytes } = this.keyOrder(keys);
    const head = cborHead(5, keys.length);
    let length = head.length;
    for (let i = 0; i < fields.length; i++) length += keyBytes[i].length + fields[i].length;
    const bytes = new Uint8Array(length); // written in place: no array of parts
    bytes.set(head, 0);
    let at = head.length;
    for (let i = 0; i < order.length; i++) {
      const key = keyBytes[order[i]];
      const field = fields[order[i]];
      bytes.set(key, at);
      bytes.set(field, at + key.length);
      at += key.length + field.length;
    }
    return bytes;
  }

  /** Indexes of `keys` in wire order (by their encoded bytes), and the keys' bytes, kept for the last few key lists. */
  private keyOrder(keys: string[]): { order: number[]; keyBytes: Uint8Array[] } {
    for (let i = 0; i < this.orders.length; i++) if (sameData(this.orders[i].keys, keys)) return this.orders[i];
    const order = keys.map((_, i) => i);
    const keyBytes = keys.map((k) => this.keyBytes.of(k));
    order.sort((a, b) => compareBytes(keyBytes[a], keyBytes[b])); // distinct text keys: distinct bytes
    if (this.orders.length >= ORDERS_MAX) this.orders.shift();
    const kept = { keys: keys.slice(), order, keyBytes };
    this.orders.push(kept);
    return kept;
  }

  /** The array's bytes, kept: its head, then each item's (the items' total with the head in `length`). */
  private array(key: string, list: unknown[], hints: readonly unknown[] | undefined): KeptList {
    const before = this.lists.get(key);
    const kept: KeptList = before ?? { hints: [], values: [], bytes: [], head: cborHead(4, 0), length: 1 };
    let changed = !before || kept.bytes.length !== list.length;
    for (let i = 0; i < list.length; i++) {
      const hint = hints?.[i];
      if (i < kept.bytes.length) {
        if (hint !== undefined ? kept.hints[i] === hint : kept.hints[i] === undefined && sameData(kept.values[i], list[i])) continue;
      }
      kept.bytes[i] = this.encodeValue(list[i], `state.${key}[${i}]`, 2);
      kept.hints[i] = hint;
      kept.values[i] = hint === undefined ? keepData(list[i]) : undefined;
      changed = true;
    }
    kept.hints.length = kept.values.length = kept.bytes.length = list.length;
    this.lists.set(key, kept);
    if (changed) {
      kept.head = cborHead(4, list.length);
      kept.length = kept.head.length;
      for (let i = 0; i < kept.bytes.length; i++) kept.length += kept.bytes[i].length;
    }
    return kept;
  }
}

function fromWire(value: unknown): unknown {
  if (typeof value === 'bigint') return readInt(value) ?? value;
  if (Array.isArray(value)) return value.map(fromWire);
  if (value instanceof Map) {
    const textKeys = [...value.keys()].every((k) => typeof k === 'string');
    if (!textKeys) return new Map([...value].map(([k, v]) => [fromWire(k), fromWire(v)]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[k as string] = fromWire(v);
    return out;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

/** Decodes a snapshot back to a plain object (text-keyed maps become objects), `v` included. */
export function decodeState(bytes: Uint8Array): Record<string, unknown> {
  const map = decodeMap(bytes, 'state');
  checkVersion(map.get('v'), 'state');
  return fromWire(map) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------
// Status: {p}/{id}/status, retained: the birth message and the last will. Plain UTF-8, not CBOR,
// so any MQTT tool shows it as it is.

export type Status = 'online' | 'offline';

export function encodeStatus(status: Status): Uint8Array {
  if (status !== 'online' && status !== 'offline') throw new PayloadError(`status must be online or offline, got ${String(status)}`);
  const out = new Uint8Array(status.length);
  for (let i = 0; i < status.length; i++) out[i] = status.charCodeAt(i);
  return out;
}

export function decodeStatus(bytes: Uint8Array): Status {
  let text = '';
  for (const b of bytes.subarray(0, 8)) text += String.fromCharCode(b);
  if ((text === 'online' || text === 'offline') && bytes.length === text.length) return text;
  throw new PayloadError('status must be the text "online" or "offline"');
}

// ---------------------------------------------------------------------------------------

function decodeMap(bytes: Uint8Array, what: string): Map<unknown, unknown> {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch (err) {
    throw new PayloadError(`${what}: ${err instanceof CborError ? err.message : 'undecodable'}`);
  }
  if (!(value instanceof Map)) throw new PayloadError(`${what}: expected a CBOR map`);
  return value;
}

function checkVersion(v: unknown, what: string): void {
  if (v === WIRE_VERSION) return;
  if (v === undefined) throw new PayloadError(`${what}: no version (v)`);
  throw new PayloadError(`${what}: unsupported version ${String(v)} (this panel speaks ${WIRE_VERSION})`);
}
