// Stands in for the `buffer` package in firmware bundles: the part of Node's Buffer that
// mqtt-packet (writeToStream, generate, numbers, constants, parser) and bl's BufferList call,
// and nothing else. test/packets/buffer-shim.test.ts proves the list (it records every Buffer method
// mqtt-packet and bl call on a corpus of packets, v3.1.1 and v5, generated and parsed) and
// checks each method against the `buffer` package with fast-check.
//
// Why not the `buffer` package: every call there goes through layers written for every engine
// and encoding (a string's UTF-8 is built as an array of numbers, then copied); in XS an event
// PUBLISH through mqtt-packet cost 11× a frame written by hand, most of it in those layers
// (bench/mqtt-cost.ts). Here a Buffer is a Uint8Array with this class's prototype, and strings
// are written straight into it (ASCII after one native RegExp test). The behaviour kept is the
// package's (6.0.3), errors included: UTF-8 with U+FFFD for lone surrogates and bad bytes,
// `slice` as a view, range checks with the same messages.
//
// Preload: the class is made at load and frozen with the rest; its one cache (a RegExp) is made at run time.

const utf8Only = (encoding: unknown): void => {
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8') {
    throw new TypeError(`Unknown encoding: ${String(encoding)} (the firmware's Buffer speaks utf8 only)`);
  }
};

/**
 * The ASCII test, made at its first use: a RegExp made at load would be in flash under Moddable's
 * preload, where XS crashes using one. A plain object made at load stays writable (in RAM).
 */
const made: { ascii?: RegExp } = {};

/**
 * Writes `text` as UTF-8 into `into` from `at`, at most `units` bytes; with no `into`, counts.
 * Returns where it stopped. The same bytes as the package's utf8ToBytes: a lone surrogate is
 * EF BF BD, and a character that does not fit whole is not written.
 */
function utf8(text: string, into: Uint8Array | undefined, at: number, units: number): number {
  const length = text.length;
  if (length <= units && (made.ascii ??= /^[\0-\x7F]*$/).test(text)) { // one native scan instead of a step per character in XS
    if (into) for (let i = 0; i < length; i++) into[at + i] = text.charCodeAt(i);
    return at + length;
  }
  let lead = 0;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80 && lead === 0) { // the common case: ASCII, no surrogate pending
      if (--units < 0) break;
      if (into) into[at] = c;
      at++;
      continue;
    }
    if (c > 0xD7FF && c < 0xE000) {
      if (lead === 0) {
        if (c > 0xDBFF || i + 1 === length) { // a trail with no lead, or a lead at the end
          if ((units -= 3) > -1) at = replacement(into, at);
          continue;
        }
        lead = c;
        continue;
      }
      if (c < 0xDC00) { // two leads in a row
        if ((units -= 3) > -1) at = replacement(into, at);
        lead = c;
        continue;
      }
      c = ((lead - 0xD800) << 10 | (c - 0xDC00)) + 0x10000;
    } else if (lead !== 0) { // a lead, then no trail
      if ((units -= 3) > -1) at = replacement(into, at);
    }
    lead = 0;
    if (c < 0x80) {
      if (--units < 0) break;
      if (into) into[at] = c;
      at++;
    } else if (c < 0x800) {
      if ((units -= 2) < 0) break;
      if (into) { into[at] = c >> 6 | 0xC0; into[at + 1] = c & 0x3F | 0x80; }
      at += 2;
    } else if (c < 0x10000) {
      if ((units -= 3) < 0) break;
      if (into) { into[at] = c >> 12 | 0xE0; into[at + 1] = c >> 6 & 0x3F | 0x80; into[at + 2] = c & 0x3F | 0x80; }
      at += 3;
    } else {
      if ((units -= 4) < 0) break;
      if (into) {
        into[at] = c >> 18 | 0xF0; into[at + 1] = c >> 12 & 0x3F | 0x80;
        into[at + 2] = c >> 6 & 0x3F | 0x80; into[at + 3] = c & 0x3F | 0x80;
      }
      at += 4;
    }
  }
  return at;
}

function replacement(into: Uint8Array | undefined, at: number): number {
  if (into) { into[at] = 0xEF; into[at + 1] = 0xBF; into[at + 2] = 0xBD; }
  return at + 3;
}

/** UTF-8 bytes to text as the package decodes them: each byte of a bad sequence is one U+FFFD. */
function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  let units: number[] = [];
  let i = start;
  while (i < end) {
    const first = bytes[i];
    let c = -1;
    let size = first > 0xEF ? 4 : first > 0xDF ? 3 : first > 0xBF ? 2 : 1;
    if (i + size <= end) {
      if (size === 1) {
        if (first < 0x80) c = first;
      } else if (size === 2) {
        const b1 = bytes[i + 1];
        if ((b1 & 0xC0) === 0x80) {
          const t = (first & 0x1F) << 6 | (b1 & 0x3F);
          if (t > 0x7F) c = t;
        }
      } else if (size === 3) {
        const b1 = bytes[i + 1], b2 = bytes[i + 2];
        if ((b1 & 0xC0) === 0x80 && (b2 & 0xC0) === 0x80) {
          const t = (first & 0xF) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F);
          if (t > 0x7FF && (t < 0xD800 || t > 0xDFFF)) c = t;
        }
      } else {
        const b1 = bytes[i + 1], b2 = bytes[i + 2], b3 = bytes[i + 3];
        if ((b1 & 0xC0) === 0x80 && (b2 & 0xC0) === 0x80 && (b3 & 0xC0) === 0x80) {
          const t = (first & 0xF) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F);
          if (t > 0xFFFF && t < 0x110000) c = t;
        }
      }
    }
    if (c < 0) {
      c = 0xFFFD;
      size = 1;
    } else if (c > 0xFFFF) {
      c -= 0x10000;
      units.push(c >>> 10 & 0x3FF | 0xD800);
      c = 0xDC00 | c & 0x3FF;
    }
    units.push(c);
    i += size;
    if (units.length >= 0x1000) { // String.fromCharCode takes its arguments on the stack
      out += String.fromCharCode.apply(String, units);
      units = [];
    }
  }
  return out + String.fromCharCode.apply(String, units);
}

function checkOffset(offset: number, size: number, length: number): void {
  if (offset % 1 !== 0 || offset < 0) throw new RangeError('offset is not uint');
  if (offset + size > length) throw new RangeError('Trying to access beyond buffer length');
}

function checkInt(buf: Buffer, value: number, offset: number, size: number, max: number): void {
  if (value > max || value < 0) throw new RangeError('"value" argument is out of bounds');
  if (offset + size > buf.length) throw new RangeError('Index out of range');
}

export class Buffer extends Uint8Array {
  // Typed loosely: Uint8Array.from's signature (a map function second) is not Buffer.from's.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static override from(value: any, offsetOrEncoding?: any, length?: number): any {
    if (Array.isArray(value)) { // first: mqtt-packet makes one of a byte or two for most fields
      const out = Object.setPrototypeOf(new Uint8Array(value.length), proto) as Buffer;
      for (let i = 0; i < value.length; i++) out[i] = value[i];
      return out;
    }
    if (typeof value === 'string') {
      utf8Only(offsetOrEncoding);
      const out = make(utf8(value, undefined, 0, Infinity));
      utf8(value, out, 0, Infinity);
      return out;
    }
    if (value instanceof ArrayBuffer) {
      const offset = offsetOrEncoding === undefined ? 0 : Number(offsetOrEncoding);
      if (offset < 0 || value.byteLength < offset) throw new RangeError('"offset" is outside of buffer bounds');
      if (value.byteLength < offset + (length || 0)) throw new RangeError('"length" is outside of buffer bounds');
      return view(length === undefined ? new Uint8Array(value, offset) : new Uint8Array(value, offset, length));
    }
    if (value !== null && typeof value === 'object' && typeof value.length === 'number') {
      const out = make(value.length);
      for (let i = 0; i < out.length; i++) out[i] = value[i];
      return out;
    }
    throw new TypeError(`The first argument must be a string, an ArrayBuffer, an Array or an array-like object (got ${typeof value})`);
  }

  static alloc(size: number, fill?: unknown): Buffer {
    if (fill !== undefined) throw new TypeError('Buffer.alloc: the firmware\'s Buffer does not fill');
    return make(size);
  }

  static allocUnsafe(size: number): Buffer { return Object.setPrototypeOf(new Uint8Array(size), proto) as Buffer; }

  static isBuffer(value: unknown): value is Buffer { return value instanceof Buffer; }

  static byteLength(value: string | ArrayBuffer | ArrayBufferView, encoding?: string): number {
    if (typeof value === 'string') {
      utf8Only(encoding);
      return utf8(value, undefined, 0, Infinity);
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
    throw new TypeError(`The "string" argument must be one of type string, Buffer, or ArrayBuffer. Received type ${typeof value}`);
  }

  static concat(list: readonly Uint8Array[], length?: number): Buffer {
    if (!Array.isArray(list)) throw new TypeError('"list" argument must be an Array of Buffers');
    if (list.length === 0) return make(0);
    if (length === undefined) {
      length = 0;
      for (const b of list) length += b.length;
    }
    const out = make(length);
    let at = 0;
    for (const b of list) {
      if (!(b instanceof Uint8Array)) throw new TypeError('"list" argument must be an Array of Buffers');
      if (at + b.length > out.length) out.set(b.subarray(0, out.length - at), at);
      else out.set(b, at);
      at += b.length;
      if (at >= out.length) break;
    }
    return out;
  }

  /** Writes `text` as UTF-8 from `offset`; returns the bytes written (a character that does not fit is left out). */
  write(text: string, offset = 0, length?: number | string, encoding?: string): number {
    if (typeof length === 'string') { encoding = length; length = undefined; }
    utf8Only(encoding);
    offset = offset >>> 0;
    const remaining = this.length - offset;
    if (length === undefined || length > remaining) length = remaining;
    if ((text.length > 0 && (length < 0 || offset < 0)) || offset > this.length) throw new RangeError('Attempt to write outside buffer bounds');
    if (length === remaining) return utf8(text, this, offset, length) - offset;
    // A length short of the room: the package encodes what fits the room, then cuts at length,
    // through a character if need be. Kept so (mqtt-packet never asks for it).
    const whole = new Uint8Array(utf8(text, undefined, 0, remaining));
    utf8(text, whole, 0, remaining);
    const n = Math.min(length, whole.length);
    this.set(whole.subarray(0, n), offset);
    return n;
  }

  override toString(encoding?: string, start?: number, end?: number): string {
    utf8Only(encoding);
    const length = this.length;
    if (start === undefined || start < 0) start = 0;
    if (start > length) return '';
    if (end === undefined || end > length) end = length;
    if (end <= 0) return '';
    end >>>= 0;
    start >>>= 0;
    if (end <= start) return '';
    return utf8Text(this, start, end);
  }

  /** Copies into `target` as Node's Buffer#copy does (clamped to both ends); returns the bytes copied. */
  copy(target: Uint8Array, targetStart?: number, start?: number, end?: number): number {
    if (!(target instanceof Buffer)) throw new TypeError('argument should be a Buffer');
    if (start === undefined && end === undefined && targetStart !== undefined && targetStart >= 0 && this.length <= target.length - targetStart && this !== target) {
      target.set(this, targetStart); // the whole of this into room enough (generate() copies so)
      return this.length;
    }
    if (!start) start = 0;
    if (!end && end !== 0) end = this.length;
    if (targetStart !== undefined && targetStart >= target.length) targetStart = target.length;
    if (!targetStart) targetStart = 0;
    if (end > 0 && end < start) end = start;
    if (end === start) return 0;
    if (target.length === 0 || this.length === 0) return 0;
    if (targetStart < 0) throw new RangeError('targetStart out of bounds');
    if (start < 0 || start >= this.length) throw new RangeError('Index out of range');
    if (end < 0) throw new RangeError('sourceEnd out of bounds');
    if (end > this.length) end = this.length;
    if (target.length - targetStart < end - start) end = target.length - targetStart + start;
    if (this === target) this.copyWithin(targetStart, start, end);
    else target.set(this.subarray(start, end), targetStart);
    return end - start;
  }

  /** A view, as Node's Buffer#slice (not a copy, as Uint8Array#slice). */
  override slice(start?: number, end?: number): Buffer {
    const len = this.length;
    let s = ~~(start as number);
    let e = end === undefined ? len : ~~end;
    if (s < 0) { s += len; if (s < 0) s = 0; } else if (s > len) s = len;
    if (e < 0) { e += len; if (e < 0) e = 0; } else if (e > len) e = len;
    if (e < s) e = s;
    return view(new Uint8Array(this.buffer, this.byteOffset + s, e - s));
  }

  readUInt8(offset = 0): number {
    offset = offset >>> 0;
    checkOffset(offset, 1, this.length);
    return this[offset];
  }

  readUInt16BE(offset = 0): number {
    offset = offset >>> 0;
    checkOffset(offset, 2, this.length);
    return (this[offset] << 8) | this[offset + 1];
  }

  readUInt32BE(offset = 0): number {
    offset = offset >>> 0;
    checkOffset(offset, 4, this.length);
    return this[offset] * 0x1000000 + ((this[offset + 1] << 16) | (this[offset + 2] << 8) | this[offset + 3]);
  }

  writeUInt8(value: number, offset = 0, noAssert?: boolean): number {
    value = +value;
    offset = offset >>> 0;
    if (!noAssert) { // checkInt, inline: mqtt-packet writes every 16-bit number through here, a byte at a time
      if (value > 0xff || value < 0) throw new RangeError('"value" argument is out of bounds');
      if (offset + 1 > this.length) throw new RangeError('Index out of range');
    }
    this[offset] = value & 0xff;
    return offset + 1;
  }

  writeUInt16BE(value: number, offset = 0, noAssert?: boolean): number {
    value = +value;
    offset = offset >>> 0;
    if (!noAssert) checkInt(this, value, offset, 2, 0xffff);
    this[offset] = value >>> 8;
    this[offset + 1] = value & 0xff;
    return offset + 2;
  }

  writeUInt32BE(value: number, offset = 0, noAssert?: boolean): number {
    value = +value;
    offset = offset >>> 0;
    if (!noAssert) checkInt(this, value, offset, 4, 0xffffffff);
    this[offset] = value >>> 24;
    this[offset + 1] = value >>> 16;
    this[offset + 2] = value >>> 8;
    this[offset + 3] = value & 0xff;
    return offset + 4;
  }
}

// A Uint8Array given Buffer's prototype, as the package makes its Buffers: in XS a derived class's
// constructor (super() through Uint8Array) costs 6× as much. The class's own constructor still serves
// `subarray` (through Symbol.species) and `instanceof`.
const proto = Buffer.prototype;
const view = (bytes: Uint8Array): Buffer => Object.setPrototypeOf(bytes, proto) as Buffer;
const make = (size: number): Buffer => view(new Uint8Array(size));
