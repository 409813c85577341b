// Stands in for Moddable's `hmac` module (modules/crypt/etc/hmac.js: JS over a Digest) inside
// xsnap. Not Moddable's file itself (it imports the native `bin`): the standard HMAC construction
// (RFC 2104), written the way that file does it (ipad/opad blocks, reset and write on the one
// Digest), over the bench's `crypt` Digest (bench/shims/crypt.ts), so its calls cost as on the device.
import type { Digest } from './crypt';

export default class HMAC {
  private readonly ipad: Uint8Array;
  private readonly opad: Uint8Array;
  constructor(private readonly h: Digest, key: ArrayBuffer | ArrayBufferView) {
    let k = ArrayBuffer.isView(key) ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength) : new Uint8Array(key);
    if (k.byteLength > h.blockSize) { // a long key is hashed first
      h.reset();
      h.write(k);
      k = new Uint8Array(h.close());
    }
    this.ipad = new Uint8Array(h.blockSize);
    this.opad = new Uint8Array(h.blockSize);
    let i = 0;
    for (; i < k.length; i++) {
      this.ipad[i] = k[i] ^ 0x36;
      this.opad[i] = k[i] ^ 0x5c;
    }
    this.ipad.fill(0x36, i);
    this.opad.fill(0x5c, i);
    h.reset();
    h.write(this.ipad.buffer);
  }
  close(): ArrayBuffer {
    const inner = this.h.close();
    this.h.reset();
    this.h.write(this.opad.buffer);
    this.h.write(inner);
    return this.h.close();
  }
  reset(): void {
    this.h.reset();
    this.h.write(this.ipad.buffer);
  }
  process(...items: Array<ArrayBuffer | ArrayBufferView>): ArrayBuffer {
    this.reset();
    for (const item of items) this.h.write(item);
    return this.close();
  }
}
