// STAND-IN for Moddable's `net` module on the virtual radio, test only.
// As on the ESP32, the MAC is only there once the Wi-Fi is initialised (a mode is set).
import { world } from './world';

const Net = {
  get(what: string, nif?: string): string | undefined {
    if (what === 'MAC') return world.wifiMode === 0 ? undefined : world.inputs.mac;
    if (what === 'IP') return world.ip(nif);
    if (what === 'SSID') return world.station?.state === 'up' ? world.station.ssid : undefined;
    return undefined;
  },
  resolve(name: string, callback: (name: string, address?: string) => void): void {
    world.later(50, () => callback(name, undefined)); // no name resolves on the virtual network
  },
};
export default Net;
