// Moddable's `hmac` module ($MODDABLE/modules/crypt/etc/hmac.js) has no typings of its own.
declare module "hmac" {
  import type { Digest } from "crypt";
  export default class HMAC {
    constructor(hash: Digest, key: Uint8Array | ArrayBuffer, bitLength?: number);
    process(...items: Array<Uint8Array | ArrayBuffer>): ArrayBuffer;
  }
}
