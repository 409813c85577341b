// The part of cose-js (an independent COSE implementation, Node only) the interop tests use.
declare module 'cose-js' {
  interface MacHeaders {
    p?: { alg?: string; kid?: string | Uint8Array };
    u?: { alg?: string; kid?: string | Uint8Array };
  }
  const cose: {
    mac: {
      create(headers: MacHeaders, payload: Uint8Array, recipient: { key: Uint8Array }): Promise<Uint8Array>;
      read(data: Uint8Array, key: Uint8Array): Promise<Uint8Array>;
    };
  };
  export default cose;
}
