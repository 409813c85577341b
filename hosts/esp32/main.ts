// Moddable entry for the ESP32 panel.
//
// First duty at boot, before anything else loads: hold the siren output low. A panel
// that resets (brown-out, watchdog) must never leave the siren floating or sounding.
import device from "embedded:provider/builtin";
import config from "mc/config";

const sirenPin = Number(config.sirenPin ?? 25);
const siren = new device.io.Digital({ pin: sirenPin, mode: device.io.Digital.Output });
siren.write(0);

trace(`alarm panel: boot, siren on GPIO ${sirenPin} held off\n`);
