// TextEncoder and TextDecoder. Node and xsnap have them as globals (the firmware's TypeScript
// lib, plain ECMAScript, does not list them). Moddable has them as modules, not globals: its
// builds name hosts/moddable/src/text-codec as this module (see manifest.json).
interface Codecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
}
const g = globalThis as unknown as Codecs;

export const TextEncoder = g.TextEncoder;
export const TextDecoder = g.TextDecoder;
