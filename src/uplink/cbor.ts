// CBOR for every payload the panel sends or reads (cbor-x).
//
// One Encoder, set up so that the bytes are the same on Node and on XS and as small
// as CBOR allows: plain maps (no records, no tag 259), byte strings without tag 64.
import { Decoder, Encoder } from 'cbor-x';

const options = {
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false, // honoured by cbor-x, missing from its typings
  variableMapSize: true,
};
const encoder = new Encoder(options);
// Decoding goes through a separate Decoder: an Encoder remembers record definitions
// (tag 105) met in its input, so untrusted bytes could change how later bytes decode.
const decoder = new Decoder(options);

/** A CBOR value as the panel uses it: integer-keyed maps decode to `Map`. */
export type CborValue = unknown;

export function encodeCbor(value: CborValue): Uint8Array {
  const out = encoder.encode(value);
  // A copy, as plain bytes: cbor-x's result is a view into its shared 8 KB working buffer, and
  // every view kept (an outbox entry, a reply waiting) would pin one such buffer in the heap.
  return new Uint8Array(out);
}

/** A CBOR head: major type and a length below 2^32, shortest form (cbor-x writes no head alone). */
export function cborHead(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return new Uint8Array([m | n]);
  if (n < 0x100) return new Uint8Array([m | 24, n]);
  if (n < 0x10000) return new Uint8Array([m | 25, n >> 8, n & 0xff]);
  return new Uint8Array([m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export class CborError extends Error {}

/** Decodes exactly one CBOR item; trailing bytes or a truncated item are an error. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  if (bytes.length === 0) throw new CborError('empty CBOR');
  try {
    const items: unknown[] = decoder.decodeMultiple(bytes) as unknown[];
    if (items.length !== 1) throw new CborError(`expected one CBOR item, found ${items.length}`);
    return items[0];
  } catch (err) {
    if (err instanceof CborError) throw err;
    throw new CborError(`malformed CBOR: ${(err as Error).message}`);
  }
}
