// The part of Moddable's `crypt` that src/hash uses. @moddable/typings 5.6.0 on npm has no
// crypt typings; mcconfig builds use the SDK's own (typings/crypt.d.ts) instead of this file.
declare module "crypt" {
  export class Digest {
    constructor(type: "SHA256");
    write(message: ArrayBuffer): void;
    close(): ArrayBuffer;
  }
}
