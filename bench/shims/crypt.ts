// Stands in for Moddable's `crypt` module inside xsnap (bench/xs-panel.ts bundles it as `crypt`
// for hosts/moddable/src/hash.ts, the firmware's `src/hash`). On the device `Digest` is native
// (the ESP32's SHA hardware): each method is one host call, no JS hashing. Here each method is
// one host call too: xsnap's `issueCommand`, answered by the Node parent (`digestHost` in
// bench/xs.ts) with node:crypto. So computrons count the calls and their arguments, not SHA rounds.
//
// A request: op (1 byte), digest id (u32 little-endian), then the bytes written (op WRITE).
declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

export const DigestOp = Object.freeze({ NEW: 1, WRITE: 2, CLOSE: 3, RESET: 4 });

let nextId = 1;

function call(op: number, id: number, data?: ArrayBufferLike | ArrayBufferView): ArrayBuffer {
  const n = data ? data.byteLength : 0;
  const request = new Uint8Array(5 + n);
  request[0] = op;
  request[1] = id & 0xff;
  request[2] = (id >>> 8) & 0xff;
  request[3] = (id >>> 16) & 0xff;
  request[4] = id >>> 24;
  if (data) {
    request.set(ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, n) : new Uint8Array(data), 5);
  }
  return issueCommand(request.buffer);
}

/** Moddable's `crypt` Digest, SHA-256 only (all the panel uses): the same methods and results. */
export class Digest {
  private readonly id: number;
  constructor(type: string) {
    if (type !== 'SHA256') throw new Error(`bench Digest: only SHA256, not ${type}`);
    this.id = nextId++;
    call(DigestOp.NEW, this.id);
  }
  get blockSize(): number { return 64; }
  get outputSize(): number { return 32; }
  write(data: ArrayBufferLike | ArrayBufferView): void { call(DigestOp.WRITE, this.id, data); }
  close(): ArrayBuffer { return call(DigestOp.CLOSE, this.id); }
  reset(): void { call(DigestOp.RESET, this.id); }
  process(...items: Array<ArrayBuffer | ArrayBufferView>): ArrayBuffer {
    this.reset();
    for (const item of items) this.write(item);
    return this.close();
  }
}
