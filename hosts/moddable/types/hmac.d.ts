// Moddable modules with no typings of their own: `hmac` ($MODDABLE/modules/crypt/etc/hmac.js)
// and the TLS engine `ssl/session` ($MODDABLE/modules/crypt/ssl/session_419.js, the calls
// hosts/moddable/tls.ts makes). Both come with the TLS manifest (tls_419.json). And `crypt`'s
// StreamCipher ($MODDABLE/modules/crypt/digest/crypt.js), which the SDK's crypt typings leave out
// (merged into them: hosts/moddable/src/aead.ts uses its ChaCha).
declare module "crypt" {
  export class StreamCipher {
    /** "ChaCha": a 32-byte key, a 12-byte IV (RFC 8439 nonce), the block counter to start at. Key and IV as buffers. */
    constructor(cipher: "ChaCha" | "RC4", key: ArrayBuffer, iv?: ArrayBuffer, counter?: number);
    encrypt(data: ArrayBuffer | ArrayBufferView, result?: ArrayBuffer | ArrayBufferView, count?: number): ArrayBuffer | ArrayBufferView;
    decrypt(data: ArrayBuffer | ArrayBufferView, result?: ArrayBuffer | ArrayBufferView, count?: number): ArrayBuffer | ArrayBufferView;
  }
}

declare module "hmac" {
  import type { Digest } from "crypt";
  export default class HMAC {
    constructor(hash: Digest, key: Uint8Array | ArrayBuffer, bitLength?: number);
    process(...items: Array<Uint8Array | ArrayBuffer>): ArrayBuffer;
  }
}

declare module "ssl/session" {
  /** The TCP socket the session reads and writes (read into a view, write), with `readable` and `writable` counts it keeps on it. */
  type CountedSocket = { readable: number; writable: number };
  export default class SSLSession {
    constructor(options: {
      serverName?: string;
      protocolVersion?: number;
      certificate?: Uint8Array;
      clientCertificates?: Uint8Array[];
      clientKey?: Uint8Array;
    });
    /** The last alert received or to send; close_notify sets it without throwing. */
    alert: { level: number; description: number } | undefined;
    initiateHandshake(): void;
    /** One step of the handshake; true when it is done (or stopped by an alert). Throws on a bad peer. */
    handshake(socket: CountedSocket): boolean;
    /** One record of application data; undefined: not a whole record yet; null: closed by an alert. */
    read(socket: CountedSocket): Uint8Array | null | undefined;
    /** Sends `data` as one record; returns the bytes that may still be written. */
    write(socket: CountedSocket, data: Uint8Array): number;
  }
}
