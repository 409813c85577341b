// STAND-IN for Moddable's `wifi` module (ESP32 flavour) on the virtual radio, test only.
// Notices arrive later, as on the ESP32 (posted from the Wi-Fi task to the XS machine).
import { world, type WifiMessage } from './world';

interface Options { ssid: string; password?: string }

export default class WiFi {
  static readonly Mode = { off: -5, none: 0, station: 1, accessPoint: 2 } as const;
  static readonly gotIP = 'gotIP';
  static readonly lostIP = 'lostIP';
  static readonly connected = 'connect';
  static readonly disconnected = 'disconnect';

  static get mode(): number { return world.wifiMode; }
  static set mode(mode: number) { world.setMode(mode); }
  static connect(options?: Options): void { world.connect(options); }
  static disconnect(): void { world.connect(undefined); }
  static accessPoint(options: Options): void {
    // As modules/network/wifi/esp32/wifi.c: an SSID is 32 bytes at most.
    if (new TextEncoder().encode(String(options.ssid ?? '')).length > 32) throw new Error('ssid too long - 32 bytes max');
    world.startAccessPoint(options);
  }
  static scan(): void { throw new Error('stand-in: scanning is not modelled'); }

  callback?: (message: WifiMessage, value?: number) => void;

  constructor(options?: Options, callback?: (message: WifiMessage, value?: number) => void) {
    if (options) WiFi.connect(options);
    if (callback) {
      this.callback = callback;
      world.wifiListeners.add(this);
    }
  }

  close(): void { world.wifiListeners.delete(this); }
}
