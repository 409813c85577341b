// Entry of the firmware bundle: everything host-independent the ESP32 runs — the app with
// its core, drivers, journal, uplink and portal. Hosts add only their I/O.
export { Panel, loadConfig, saveConfig, type Host } from '../../src/app';
export { validateConfig, firstBootConfig, type PanelConfig } from '../../src/config';
