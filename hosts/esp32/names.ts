// The panel's own addresses on the ESP32, for the portal's Host check (src/portal/names.ts).
import Net from "net";

/** The Wi-Fi MAC, as the panel's id is made from it (first-boot.ts, panelIdFromMac). */
export function wifiMac(): string | undefined {
  return (Net as unknown as { get(what: "MAC"): string | undefined }).get("MAC") || undefined;
}

/** The station's address (from DHCP) and the access point's, as they are now. */
export function panelNames(): string[] {
  // Net.get takes the interface as a second argument ("ap"); the typings know only one.
  const get = (Net as unknown as { get(what: "IP", nif?: "ap"): string | undefined }).get;
  const names: string[] = [];
  for (const address of [get("IP"), get("IP", "ap")]) if (address && !names.includes(address)) names.push(address);
  return names;
}
