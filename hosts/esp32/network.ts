// Wi-Fi on the ESP32: the set-up access point with its captive DNS, or the station link
// to the owner's network with reconnect and SNTP.
//
// The alarm never waits on any of this: the panel runs from boot, and a network that is
// down only shows in the uplink's status (the core logs 350 from there).
import WiFi from "wifi";
import Net from "net";
import SNTP from "sntp";
import DNSServer from "dns/server";
import Timer from "timer";
import type { ModdableClock } from "../moddable/clock";

type Log = (line: string) => void;

/**
 * Turns the radio on in station mode and returns the Wi-Fi MAC. The MAC names the panel,
 * and with the radio on the hardware RNG is truly random (see random.ts).
 */
export function radioOn(): string | undefined {
  WiFi.mode = WiFi.Mode.station;
  return Net.get("MAC") || undefined;
}

/** The address the soft AP serves on (ESP-IDF's default is 192.168.4.1). */
function accessPointAddress(): string {
  // Net.get takes the interface as a second argument ("ap"); the typings know only one.
  const get = Net.get as unknown as (what: "IP", nif: "ap") => string | undefined;
  return get("IP", "ap") || "192.168.4.1";
}

/** Set-up mode's network: a WPA2 access point, and a DNS server that answers every name with our address. */
export class AccessPoint {
  readonly address: string;
  private readonly dns: DNSServer;

  constructor(readonly ssid: string, password: string, log: Log) {
    // With a password Moddable's access point is WPA/WPA2-PSK (ESP-IDF's WIFI_AUTH_WPA_WPA2_PSK).
    WiFi.accessPoint({ ssid, password });
    this.address = accessPointAddress();
    // Every name: phones probe a well-known host after joining and open the portal when it answers from here.
    this.dns = new DNSServer(() => this.address);
    log(`set-up mode: access point "${ssid}" at http://${this.address}/`);
  }

  close(): void {
    this.dns.close();
  }
}

/** Backoff between station connection attempts: 1 s, 2 s, 4 s … up to a minute. */
export function retryDelay(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(failures - 1, 6));
}

/** Longest wait for an IP address after asking to connect. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** The station link to the owner's network: connects, and reconnects with backoff for as long as it runs. */
export class StationLink {
  private state: "idle" | "connecting" | "up" | "waiting" = "idle";
  private failures = 0;
  private timer: Timer | undefined;
  private monitor: WiFi | undefined;

  constructor(
    private readonly network: { ssid: string; password: string },
    private readonly log: Log,
    private readonly events: { onUp(address: string): void; onDown(): void },
  ) {}

  get up(): boolean {
    return this.state === "up";
  }

  start(): void {
    this.monitor = new WiFi(undefined, (message) => this.notify(message));
    this.attempt();
  }

  close(): void {
    this.clearTimer();
    this.monitor?.close();
    this.monitor = undefined;
    const wasUp = this.state === "up";
    this.state = "idle";
    WiFi.disconnect();
    if (wasUp) this.events.onDown();
  }

  private attempt(): void {
    this.clearTimer();
    this.state = "connecting";
    const { ssid, password } = this.network;
    try {
      WiFi.connect(password ? { ssid, password } : { ssid });
    } catch (err) {
      this.failed(`cannot connect: ${(err as Error).message}`);
      return;
    }
    this.timer = Timer.set(() => {
      this.timer = undefined;
      this.failed(`no address within ${CONNECT_TIMEOUT_MS / 1000} s`);
    }, CONNECT_TIMEOUT_MS);
  }

  /** Wi-Fi notices arrive as callbacks from the SDK: nothing may be thrown back into it. */
  private notify(message: string): void {
    try {
      this.handle(message);
    } catch (err) {
      this.log(`Wi-Fi: ${(err as Error).message}`);
    }
  }

  private handle(message: string): void {
    if (this.state === "idle") return;
    if (message === WiFi.gotIP) {
      this.clearTimer();
      this.failures = 0;
      this.state = "up";
      const address = Net.get("IP") || "?";
      this.log(`Wi-Fi: connected to "${this.network.ssid}" as ${address}`);
      this.events.onUp(address);
    } else if (message === WiFi.disconnected || message === WiFi.lostIP) {
      if (this.state === "up") {
        this.log(`Wi-Fi: lost "${this.network.ssid}"`);
        this.events.onDown();
        this.failed("link lost");
      } else if (this.state === "connecting") {
        this.failed("not connected");
      } // while waiting to retry, further notices change nothing
    }
  }

  private failed(reason: string): void {
    this.clearTimer();
    this.failures++;
    this.state = "waiting";
    const delay = retryDelay(this.failures);
    this.log(`Wi-Fi: ${reason}; attempt ${this.failures + 1} in ${delay / 1000} s`);
    this.timer = Timer.set(() => {
      this.timer = undefined;
      this.attempt();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = undefined;
  }
}

/** Resyncs this often while the link is up. */
export const SNTP_RESYNC_MS = 12 * 3_600_000;
/** After every server failed, tries again this much later. */
export const SNTP_RETRY_MS = 10 * 60_000;

/** Wall time from SNTP: asked when the link comes up, then every 12 h; servers tried in order. */
export class TimeSync {
  private timer: Timer | undefined;
  private request: SNTP | undefined;

  constructor(private readonly servers: readonly string[], private readonly clock: ModdableClock, private readonly log: Log) {}

  start(): void {
    this.stop();
    this.ask(0);
  }

  stop(): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = undefined;
    this.request = undefined; // a late answer from it is ignored
  }

  private ask(index: number): void {
    const host = this.servers[index];
    try {
      this.request = this.send(host, index);
    } catch (err) {
      // e.g. lwIP's lookup queue is full: not worth more than a line and a later try.
      this.log(`time: cannot ask ${host}: ${(err as Error).message}`);
      this.later(SNTP_RETRY_MS);
    }
  }

  private send(host: string, index: number): SNTP {
    const request: SNTP = new SNTP({ host }, (message, value) => {
      if (this.request !== request) return;
      if (message === SNTP.time && value !== undefined) {
        this.request = undefined;
        if (this.clock.setWallTime(value)) this.log(`time: set from ${host}`);
        else this.log(`time: ${host} answered an impossible time (${value}); ignored`);
        this.later(SNTP_RESYNC_MS);
      } else if (message === SNTP.error) {
        this.request = undefined;
        if (index + 1 < this.servers.length) this.ask(index + 1);
        else {
          this.log(`time: no SNTP server answered; again in ${SNTP_RETRY_MS / 60_000} min`);
          this.later(SNTP_RETRY_MS);
        }
      }
    });
    return request;
  }

  private later(ms: number): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = Timer.set(() => {
      this.timer = undefined;
      this.ask(0);
    }, ms);
  }
}
