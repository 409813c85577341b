// STAND-IN for Moddable's `mc/config` (the manifest's "config" block), test only.
import { world } from './world';

const config: { file: { root: string } } & Record<string, unknown> = { file: { root: '/littlefs/' }, ...world.inputs.config };
export default config;
