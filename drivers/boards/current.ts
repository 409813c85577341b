// The board this build runs on. A seam like src/hash: on Node, in the XS test bundles and for
// the type-checks it is the ESP32; each Moddable platform maps the module name
// "drivers/boards/current" to its own board file instead (manifest.json: `esp32` → esp32,
// `esp32/esp32s3` → esp32s3, `esp32/esp32c3` → esp32c3), so a build carries one board only.
export { board } from './esp32';
