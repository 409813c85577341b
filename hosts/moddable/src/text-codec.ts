// `src/text-codec` on Moddable builds (the manifest names this file as that module): Moddable's
// TextEncoder and TextDecoder modules, which are not globals there.
import Encoder from "text/encoder";
import Decoder from "text/decoder";

export const TextEncoder = Encoder as unknown as new () => { encode(text: string): Uint8Array };
export const TextDecoder = Decoder as unknown as new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
