// Stands in for Moddable's `crypt` module inside xsnap (bench/xs-panel.ts bundles it as `crypt`
// for hosts/moddable/src/hash.ts and hosts/moddable/src/aead.ts, the firmware's `src/hash` and
// `src/aead`). On the device `Digest` and `StreamCipher` are native (the ESP32's SHA hardware, C
// ChaCha): each method is one host call, no JS rounds. Here each method is one host call too:
// xsnap's `issueCommand`, answered by the Node parent (`cryptHost` in bench/xs.ts) with
// node:crypto. So computrons count the calls and their arguments, not the rounds.
//
// A request: op (1 byte), digest id (u32 little-endian), then the bytes written (op WRITE) or the
// cipher's key, IV, counter and data (op CHACHA).
declare const issueCommand: (request: ArrayBuffer) => ArrayBuffer;

export const DigestOp = Object.freeze({ NEW: 1, WRITE: 2, CLOSE: 3, RESET: 4, CHACHA: 5 });

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

const asBytes = (data: ArrayBufferLike | ArrayBufferView) =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/**
 * Moddable's `crypt` StreamCipher, ChaCha only (hosts/moddable/src/aead.ts, the firmware's
 * `src/aead`): one host call per `encrypt`, as the native cipher is one call. It starts at the
 * block counter given and does not carry a partial block to a second call: src/aead makes one
 * cipher per call, and a second call here throws rather than give other bytes than the device's.
 */
export class StreamCipher {
  private used = false;
  private readonly head: Uint8Array;
  constructor(cipher: string, key: ArrayBuffer, iv: ArrayBuffer, private readonly counter = 0) {
    if (cipher !== 'ChaCha') throw new Error(`bench StreamCipher: only ChaCha, not ${cipher}`);
    if (key.byteLength !== 32 || iv.byteLength !== 12) throw new Error('bench StreamCipher: a 32-byte key and a 12-byte IV');
    this.head = new Uint8Array(44); // key ‖ IV; the counter and the data follow in each request
    this.head.set(new Uint8Array(key), 0);
    this.head.set(new Uint8Array(iv), 32);
  }
  encrypt(data: ArrayBufferLike | ArrayBufferView, result?: ArrayBufferView): ArrayBufferLike | ArrayBufferView {
    if (this.used) throw new Error('bench StreamCipher: one encrypt per cipher (as src/aead uses it)');
    this.used = true;
    const input = asBytes(data);
    const body = new Uint8Array(48 + input.length);
    body.set(this.head, 0);
    new DataView(body.buffer).setUint32(44, this.counter, true);
    body.set(input, 48);
    const out = new Uint8Array(call(DigestOp.CHACHA, 0, body));
    if (!result) return out.buffer;
    asBytes(result).set(out);
    return result;
  }
  decrypt(data: ArrayBufferLike | ArrayBufferView, result?: ArrayBufferView): ArrayBufferLike | ArrayBufferView {
    return this.encrypt(data, result);
  }
}
