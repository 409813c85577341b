// Moddable entry for the ESP32 panel.
//
// First duty at boot: open the drivers, the siren first, which drives its output off
// before anything else. A panel that resets (brown-out, watchdog) must never leave the
// siren floating or sounding; until this runs, the gate pull-down holds it off.
//
// This shows the drivers' use only (zone changes are traced); the app wires them to the core.
import config from "mc/config";
import Time from "time";
import Timer from "timer";
import { defaultPinConfig, holdSirenOff, openBoardDrivers } from "hosts/esp32/pins";

const clock = { uptime: () => Time.ticks };
const pinConfig: unknown = config.pins ?? {
  ...defaultPinConfig,
  siren: { ...defaultPinConfig.siren, pin: Number(config.sirenPin ?? 25), maxOnS: Number(config.sirenMaxSeconds ?? 900) },
};

let timer: Timer | undefined;
function reschedule(): void {
  if (timer) Timer.clear(timer);
  timer = undefined;
  const next = drivers?.nextDeadline();
  if (next === undefined) return;
  timer = Timer.set(() => {
    timer = undefined;
    drivers?.poll(clock.uptime());
    reschedule();
  }, Math.max(0, next - clock.uptime()));
}

let drivers: ReturnType<typeof openBoardDrivers> | undefined;
try {
  drivers = openBoardDrivers(pinConfig, clock, {
    onChange(zone, open, now) { trace(`zone ${zone} ${open ? "open" : "closed"} at ${now} ms\n`); },
    onTamper(zone, active, now) { trace(`zone ${zone} tamper ${active ? "open" : "restored"} at ${now} ms\n`); },
    onReady(zone, now) { trace(`zone ${zone} PIR warmed up at ${now} ms\n`); },
    onCap(now) { trace(`siren cut off at its cap, ${now} ms\n`); },
    onEdge() { reschedule(); },
  });
  reschedule();
  trace("alarm panel: boot, siren held off\n");
} catch (err) {
  const held = holdSirenOff(pinConfig);
  trace(`alarm panel: ${(err as Error).message}; siren ${held === undefined ? "left to its pull-down" : `held off on GPIO ${held}`}\n`);
}
