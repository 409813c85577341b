// Deterministic stand-ins for CBOR-encoded events, of varying length.
export function eventBytes(seq: number): Uint8Array {
  const n = 12 + (seq * 7) % 29;
  const out = new Uint8Array(n);
  out[0] = 0xa7;
  for (let i = 1; i < n; i++) out[i] = (seq * 31 + i * 17) & 0xff;
  return out;
}

/** Alarm events, as the core would mark them: every fifth. */
export const isAlarm = (seq: number): boolean => seq % 5 === 0;

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
