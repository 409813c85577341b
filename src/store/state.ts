// Persisted blobs (the core's state snapshot, the configuration): saved whole, read whole.
//
// Each blob has two copies, `NAME.a` and `NAME.b`, each one CRC-framed record holding a
// generation number and the bytes. A save replaces (atomically) the copy that does not hold
// the newest generation, so the previous good copy is always still there: if the newest
// is found corrupt, the load falls back to it and says so.
import type { Storage } from './storage';
import { encodeRecord, getU32, putU32, readRecords } from './record';

const STATE = 0x20;

export interface StateLoad {
  /** The newest good copy's bytes; undefined if none was ever saved or none is readable. */
  bytes: Uint8Array | undefined;
  /** Its generation (counts saves), 0 if none. */
  generation: number;
  /** Copies found corrupt, and any fallback taken. */
  problems: string[];
}

const validName = (name: string) => /^[a-z][a-z0-9_-]{0,23}$/.test(name);

export class StateStore {
  /** Newest generation known per name, so a save knows which copy to overwrite. */
  private generations = new Map<string, number>();

  constructor(private readonly storage: Storage) {}

  load(name: string): StateLoad {
    checkName(name);
    const problems: string[] = [];
    let best: { generation: number; bytes: Uint8Array } | undefined;
    let corrupt = false;
    for (const copy of ['a', 'b']) {
      const file = `${name}.${copy}`;
      const data = this.storage.read(file);
      if (data.length === 0) continue;
      const { records, end } = readRecords(data);
      const r = records[0];
      if (records.length !== 1 || end !== data.length || r.type !== STATE || r.payload.length < 4) {
        problems.push(`${file}: corrupt (${data.length} bytes fail their CRC or framing)`);
        corrupt = true;
        continue;
      }
      const generation = getU32(r.payload, 0);
      if (!best || generation > best.generation) best = { generation, bytes: r.payload.slice(4) };
    }
    if (corrupt && best) problems.push(`${name}: using the good copy, generation ${best.generation}`);
    const generation = best ? best.generation : 0;
    // A corrupt copy may have been the newer one: the next save must not land on the good one.
    this.generations.set(name, generation);
    return { bytes: best?.bytes, generation, problems };
  }

  /** Saves `bytes` as the newest copy of `name`: after a power cut, the old or the new, never a mix. */
  save(name: string, bytes: Uint8Array): number {
    checkName(name);
    const known = this.generations.get(name) ?? this.load(name).generation;
    const generation = known + 1;
    const payload = new Uint8Array(4 + bytes.length);
    putU32(payload, 0, generation);
    payload.set(bytes, 4);
    this.storage.replace(`${name}.${generation % 2 === 0 ? 'a' : 'b'}`, encodeRecord(STATE, payload));
    this.generations.set(name, generation);
    return generation;
  }
}

function checkName(name: string): void {
  if (!validName(name)) throw new RangeError(`state: bad blob name ${JSON.stringify(name)}`);
}
