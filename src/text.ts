// UTF-8, for JSON in storage and HTTP bodies. XS and Node both have TextEncoder and
// TextDecoder as globals; the firmware's TypeScript lib (plain ECMAScript) does not list them.

interface Utf8Globals {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
}
const g = globalThis as unknown as Utf8Globals;

export const utf8 = (text: string): Uint8Array => new g.TextEncoder().encode(text);

/** Decodes UTF-8; throws on malformed bytes rather than guessing. */
export const fromUtf8 = (bytes: Uint8Array): string => new g.TextDecoder('utf-8', { fatal: true }).decode(bytes);
