// STAND-IN, test only: a virtual ESP32 for running hosts/esp32/main.ts bundled, inside
// real XS (xsnap) and on Node, with nothing real underneath.
//
// The modules next to this file stand in for Moddable's (time, timer, wifi, net, sntp,
// dns/server, http, file, embedded:provider/builtin, the ECMA-419 sockets, mc/config), in
// the shapes @moddable/typings gives them; they all act on this one world. Time is
// virtual: nothing happens until a script calls `advance`, and events the ESP32 delivers
// later (Wi-Fi notices, DNS and SNTP answers) are timers here too, so every run is the
// same on both engines. The world reads its power-on state from globalThis.__esp32Inputs
// (flash files, pin levels, MAC, networks in range…) and `finish` prints one report line.
import { SimBoard, type Level } from '../../../../hosts/xs/sim-digital';
import { seeded } from '../../../../hosts/xs/seeded';

export interface WorldInputs {
  /** Which script of test/esp32/scripts.ts drives this boot. */
  script: string;
  /** mc/config: what the manifest's "config" holds. */
  config: Record<string, unknown>;
  /** Flash at power-on: path → hex. */
  files?: Record<string, string>;
  /** Input levels at power-on (a pin absent floats: a pull-up reads 1). */
  pins?: Record<string, Level>;
  mac?: string;
  /** Time.ticks at power-on (to cross the 32-bit wrap). */
  ticksAtBoot?: number;
  /** Networks in range the station can join. */
  networks?: Array<{ ssid: string; password: string }>;
  /** SNTP: Unix time at power-on; servers listed in `dead` never answer. */
  sntp?: { epoch: number; dead?: string[] };
  /** Seed of the stand-in for esp_random (Math.random). */
  seed?: number;
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  callback: (timer: VirtualTimer) => void;
  repeat?: number;
}

export type WifiMessage = 'connect' | 'gotIP' | 'lostIP' | 'disconnect';
export interface WifiListener {
  callback?: (message: WifiMessage, value?: number) => void;
}

export interface HttpResult {
  /** Set when the server dropped the connection instead of answering. */
  dropped?: string;
  status?: number;
  reason?: string;
  /** Header lines as the client reads them: [lower-case name, value]. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** How the body was framed on the wire. */
  framing?: 'length' | 'chunked' | 'none';
  /** Socket writes it took. */
  writes: number;
  /** The server asked for the request body (headersComplete did not answer false). */
  bodyRead?: boolean;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

// The stand-in for the hardware RNG is `seeded` (xorshift32), the same on both engines.

/** Opens and output writes are logged: the order of hardware actions at boot is what some tests check. */
class WorldBoard extends SimBoard {
  constructor(private readonly world: World) { super(); }
  override attach(pin: number, io: Parameters<SimBoard['attach']>[1], initial?: Level) {
    super.attach(pin, io, initial);
    this.world.record(`GPIO ${pin} opened`);
  }
  override detach(pin: number) {
    super.detach(pin);
    this.world.record(`GPIO ${pin} closed`);
  }
  override drive(pin: number, level: Level) {
    super.drive(pin, level);
    this.world.record(`GPIO ${pin} := ${level}`);
  }
}

/** The station's address on the virtual network, and the soft AP's. */
export const STATION_IP = '192.168.1.50';
export const AP_IP = '192.168.4.1';
/** lwIP's TCP send buffer on the ESP32 (CONFIG_LWIP_TCP_SND_BUF_DEFAULT). */
export const SEND_BUFFER = 5744;

export class World {
  readonly inputs: WorldInputs;
  now = 0;
  readonly board = new WorldBoard(this);
  readonly files = new Map<string, Uint8Array>();
  /** Hardware actions in order (pins, radio, servers; the first flash access). */
  readonly hardware: string[] = [];
  private serialText = '';
  private timers: VirtualTimer[] = [];
  private nextId = 1;
  private seq = 0;
  private flashTouched = false;

  // The radio.
  wifiMode = 0;
  accessPoint: { ssid: string; password?: string; auth: string } | undefined;
  station: { ssid: string; state: 'connecting' | 'connected' | 'up' } | undefined;
  readonly wifiListeners = new Set<WifiListener>();
  /** Every station connection request, with the (virtual) time it was made. */
  readonly connectRequests: Array<{ at: number; ssid: string }> = [];
  private attempt = 0;
  inRange: Array<{ ssid: string; password: string }>;

  // Servers the firmware runs.
  readonly httpServers: Array<{ port: number; callback?: (...args: unknown[]) => unknown; connections: object[] }> = [];
  readonly dnsServers: Array<(message: number, value?: string) => string | undefined> = [];
  readonly sntpRequests: Array<{ at: number; host: string }> = [];
  readonly tcpConnects: Array<{ at: number; address: string; port: number }> = [];
  /** Time.set calls (Unix seconds). */
  readonly clockSets: number[] = [];
  restarts = 0;

  constructor(inputs: WorldInputs) {
    this.inputs = inputs;
    for (const [path, data] of Object.entries(inputs.files ?? {})) this.files.set(path, unhex(data));
    for (const [pin, level] of Object.entries(inputs.pins ?? {})) this.board.set(Number(pin), level);
    this.inRange = [...(inputs.networks ?? [])];
    Math.random = seeded(inputs.seed ?? 0x5eed);
    const g = globalThis as Record<string, unknown>;
    g.trace = (text: unknown) => { this.serialText += String(text); };
    g.System = { restart: () => { this.restarts++; this.record('restart'); } };
  }

  record(what: string): void {
    this.hardware.push(`${this.now} ${what}`);
  }

  touchFlash(): void {
    if (!this.flashTouched) this.record('flash first used');
    this.flashTouched = true;
  }

  /** The serial console, line by line. */
  get serial(): string[] {
    return this.serialText.split('\n').filter((l) => l !== '');
  }

  get ticks(): number {
    return ((this.inputs.ticksAtBoot ?? 0) + this.now) | 0; // xsmcSetInteger: a signed 32-bit tick count
  }

  // ---- timers (the `timer` stand-in) ---------------------------------------------------------

  setTimer(callback: (timer: VirtualTimer) => void, ms = 0, repeat?: number): VirtualTimer {
    const timer: VirtualTimer = { id: this.nextId++, at: this.now + Math.max(0, ms), seq: this.seq++, callback, repeat };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(timer: VirtualTimer | undefined | null): void {
    if (timer) this.timers = this.timers.filter((t) => t !== timer);
  }

  /** Something the ESP32 does on its own after `ms` (a notice, an answer). */
  later(ms: number, what: () => void): void {
    this.setTimer(() => what(), ms);
  }

  /** Runs every timer due within the next `ms`, in order, moving the clock. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('virtual timers run away');
      let next: VirtualTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.now = next.at;
      if (next.repeat) {
        next.at += next.repeat;
        next.seq = this.seq++;
      } else {
        this.timers = this.timers.filter((t) => t !== next);
      }
      next.callback(next);
    }
    this.now = end;
  }

  // ---- pins -------------------------------------------------------------------------------------

  setPin(pin: number, level: Level): void {
    this.board.set(pin, level);
  }

  level(pin: number): Level {
    return this.board.level(pin);
  }

  // ---- Wi-Fi (the `wifi` and `net` stand-ins) ---------------------------------------------------

  setMode(mode: number): void {
    if (![0, 1, 2, 3].includes(mode)) throw new Error('invalid mode');
    this.wifiMode = mode;
    this.record(`Wi-Fi mode ${mode}`);
  }

  private notify(message: WifiMessage, value?: number): void {
    for (const l of [...this.wifiListeners]) l.callback?.(message, value);
  }

  connect(options: { ssid?: string; password?: string } | undefined): void {
    const wasUp = this.station?.state === 'up';
    this.station = undefined;
    const attempt = ++this.attempt;
    if (wasUp) this.later(0, () => this.notify('disconnect', 0));
    if (!options) return;
    if (!options.ssid) throw new Error('ssid required');
    if (options.ssid.length > 32) throw new Error('ssid too long - 32 bytes max');
    if ((options.password ?? '').length > 64) throw new Error('password too long - 64 bytes max');
    if (this.wifiMode !== 1 && this.wifiMode !== 3) this.wifiMode = 1;
    const ssid = options.ssid;
    this.connectRequests.push({ at: this.now, ssid });
    this.record(`Wi-Fi connect "${ssid}"`);
    this.station = { ssid, state: 'connecting' };
    const network = this.inRange.find((n) => n.ssid === ssid);
    if (!network) {
      // Moddable's ESP32 driver retries 5 times itself, then reports the disconnect.
      this.later(3000, () => { if (attempt === this.attempt) { this.station = undefined; this.notify('disconnect', 0); } });
      return;
    }
    if (network.password !== (options.password ?? '')) {
      this.later(1000, () => { if (attempt === this.attempt) { this.station = undefined; this.notify('disconnect', -1); } });
      return;
    }
    this.later(500, () => {
      if (attempt !== this.attempt || !this.station) return;
      this.station.state = 'connected';
      this.notify('connect');
      this.later(500, () => {
        if (attempt !== this.attempt || !this.station) return;
        this.station.state = 'up';
        this.notify('gotIP');
      });
    });
  }

  startAccessPoint(options: { ssid: string; password?: string }): void {
    if (options.ssid.length > 32) throw new Error('ssid too long - 32 bytes max');
    const password = options.password;
    if (password !== undefined) {
      if (password.length > 64) throw new Error('password too long - 64 bytes max');
      if (password.length < 8) throw new Error('password too short - 8 bytes min');
    }
    this.connect(undefined);
    this.wifiMode = 2;
    this.accessPoint = { ssid: options.ssid, password, auth: password ? 'WPA_WPA2_PSK' : 'open' };
    this.record(`Wi-Fi access point "${options.ssid}" (${this.accessPoint.auth})`);
  }

  /** The owner's router goes away (and the station link with it). */
  dropNetwork(ssid: string): void {
    this.inRange = this.inRange.filter((n) => n.ssid !== ssid);
    if (this.station?.ssid === ssid) {
      this.station = undefined;
      this.attempt++;
      this.later(0, () => this.notify('disconnect', 0));
    }
  }

  restoreNetwork(network: { ssid: string; password: string }): void {
    this.inRange.push(network);
  }

  ip(nif?: string): string | undefined {
    if (nif === 'ap') return this.wifiMode === 2 || this.wifiMode === 3 ? AP_IP : undefined;
    if (this.station?.state === 'up') return STATION_IP;
    if (this.wifiMode === 2) return AP_IP;
    return undefined;
  }

  // ---- DNS server, SNTP, sockets -------------------------------------------------------------

  /** A phone on the access point looks a name up. */
  dnsQuery(name: string): string | undefined {
    const server = this.dnsServers[this.dnsServers.length - 1];
    return server?.(1, name);
  }

  sntp(host: string, answer: (message: number, value?: number) => void): void {
    this.sntpRequests.push({ at: this.now, host });
    this.record(`SNTP ask ${host}`);
    const s = this.inputs.sntp;
    const reachable = this.station?.state === 'up' && s !== undefined && !(s.dead ?? []).includes(host);
    if (reachable) this.later(200, () => answer(1, s!.epoch + Math.floor(this.now / 1000)));
    else this.later(25_000, () => answer(-1, 'no response from SNTP server' as unknown as number)); // 5 tries, 5 s apart
  }

  // ---- HTTP: a client on the network talks to the firmware's server ---------------------------

  /**
   * One HTTP/1.1 exchange with the server on `port`, step by step as Moddable's server runs
   * it, the response written into a socket with SEND_BUFFER bytes of room per round.
   */
  http(request: { method: string; path: string; headers?: Array<[string, string]>; body?: Uint8Array; port?: number }): HttpResult {
    const server = this.httpServers.find((s) => s.port === (request.port ?? 80));
    if (!server?.callback) return { dropped: 'connection refused', headers: [], body: new Uint8Array(0), writes: 0 };
    const callback = server.callback;
    // Moddable's Request: on its server's list from the connection on; close() ends it.
    let closed = false;
    const exchange = { server, close: () => { closed = true; } };
    server.connections.push(exchange);
    const leave = () => { const i = server.connections.indexOf(exchange); if (i >= 0) server.connections.splice(i, 1); };
    const out: Uint8Array[] = [];
    let writes = 0;
    let used = 0;
    let bodyRead = false;
    const write = (bytes: Uint8Array) => {
      if (used + bytes.length > SEND_BUFFER) throw new Error('would block'); // lwIP refuses what does not fit
      used += bytes.length;
      writes++;
      out.push(bytes);
    };
    const drained = () => { used = 0; }; // the client read everything: all the room is back
    const enc = (s: string) => new (globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }).TextEncoder().encode(s);
    const call = (...args: unknown[]) => callback.apply(exchange, args);
    try {
      call(1);
      if (closed) { leave(); return { dropped: 'closed by the server', headers: [], body: new Uint8Array(0), writes }; }
      call(2, request.path, request.method);
      let total: number | undefined;
      for (const [rawName, value] of request.headers ?? []) {
        const name = rawName.trim().toLowerCase();
        if (name === 'content-length') { const n = parseInt(value); if (n) total = n; }
        if (name === 'transfer-encoding' && value.toLowerCase() === 'chunked') throw new Error('chunked request body not implemented');
        call(3, name, value.trim());
      }
      const take = call(4);
      if (take === false) total = undefined;
      bodyRead = total !== undefined;
      if (total !== undefined) {
        const body = request.body ?? new Uint8Array(0);
        if (body.length < total) return { dropped: 'request body incomplete: the server still waits', headers: [], body: new Uint8Array(0), writes };
        if (take !== ArrayBuffer) throw new Error('stand-in: only bodies collected as an ArrayBuffer are modelled');
        call(6, body.slice(0, total).buffer);
      }
      const response = call(8) as { status?: number; reason?: string; headers?: string[]; body?: true | string | ArrayBuffer } | undefined;
      const status = response?.status ?? 200;
      const head: string[] = [`HTTP/1.1 ${status} ${response?.reason ?? reasonOf(status)}\r\n`, 'connection: close\r\n'];
      let length: number | undefined;
      const headers = response?.headers ?? [];
      for (let i = 0; i < headers.length; i += 2) {
        head.push(`${headers[i]}: ${headers[i + 1]}\r\n`);
        if (headers[i].toLowerCase() === 'content-length') length = parseInt(headers[i + 1]);
      }
      const streamed = response?.body === true;
      const chunked = streamed && length === undefined;
      if (chunked) head.push('transfer-encoding: chunked\r\n');
      let fixed: Uint8Array | undefined;
      if (!streamed) {
        const b = response?.body;
        fixed = b === undefined ? new Uint8Array(0) : typeof b === 'string' ? enc(b) : new Uint8Array(b as ArrayBuffer);
        head.push(`content-length: ${fixed.length}\r\n`);
      }
      head.push('\r\n');
      write(enc(head.join('')));
      if (fixed) {
        if (fixed.length > SEND_BUFFER - used) drained();
        if (fixed.length) write(fixed); // Moddable writes it whole, assuming it fits
      } else {
        for (let first = true; ; first = false) {
          const room = SEND_BUFFER - used - (chunked ? 8 : 0);
          const piece = call(9, room) as ArrayBuffer | string | undefined;
          const bytes = piece === undefined ? new Uint8Array(0) : typeof piece === 'string' ? enc(piece) : new Uint8Array(piece);
          if (bytes.length === 0) {
            if (first) { drained(); continue; }
            break;
          }
          if (chunked) write(enc(`${bytes.length.toString(16).toUpperCase()}\r\n`));
          write(bytes);
          if (chunked) write(enc('\r\n'));
          drained();
        }
        if (chunked) write(enc('0\r\n\r\n'));
      }
      call(10);
      leave();
    } catch (err) {
      try { call(-1); } catch { /* closing anyway */ }
      leave();
      return { dropped: (err as Error).message, headers: [], body: new Uint8Array(0), writes };
    }
    return { ...parseResponse(concat(out), writes), bodyRead };
  }

  /**
   * A client that connects, sends the request line and `headers`, then nothing more (the
   * connection stays open). `closed()` tells whether the server has closed it since.
   */
  httpHold(request: { method?: string; path?: string; headers?: Array<[string, string]>; port?: number } = {}): { closed(): boolean } {
    const server = this.httpServers.find((s) => s.port === (request.port ?? 80));
    if (!server?.callback) return { closed: () => true };
    const callback = server.callback;
    let closed = false;
    const exchange = { server, close: () => { closed = true; } };
    server.connections.push(exchange);
    const call = (...args: unknown[]) => callback.apply(exchange, args);
    call(1);
    if (!closed) {
      call(2, request.path ?? '/', request.method ?? 'GET');
      for (const [name, value] of request.headers ?? []) call(3, name.toLowerCase(), value);
    }
    return { closed: () => closed };
  }

  // ---- the report -----------------------------------------------------------------------------

  /** Flash as hex, to power the next boot with. */
  flash(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [path, bytes] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) out[path] = hex(bytes);
    return out;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}

function reasonOf(status: number): string {
  return ({ 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 413: 'Request Entity Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'OK';
}

/** Reads a response as a client would: status line, headers, then the body by its framing. */
function parseResponse(raw: Uint8Array, writes: number): HttpResult {
  let at = 0;
  const line = () => {
    let end = at;
    while (end + 1 < raw.length && !(raw[end] === 13 && raw[end + 1] === 10)) end++;
    const text = String.fromCharCode(...raw.subarray(at, end));
    at = end + 2;
    return text;
  };
  const status = line().match(/^HTTP\/1\.1 (\d{3}) (.*)$/);
  const headers: Array<[string, string]> = [];
  for (let h = line(); h !== ''; h = line()) {
    const i = h.indexOf(':');
    headers.push([h.slice(0, i).toLowerCase(), h.slice(i + 1).trim()]);
  }
  const get = (name: string) => headers.find(([n]) => n === name)?.[1];
  let body: Uint8Array;
  let framing: HttpResult['framing'];
  if (get('transfer-encoding') === 'chunked') {
    framing = 'chunked';
    const parts: Uint8Array[] = [];
    for (let size = parseInt(line(), 16); size > 0; size = parseInt(line(), 16)) {
      parts.push(raw.slice(at, at + size));
      at += size + 2;
    }
    body = concat(parts);
  } else if (get('content-length') !== undefined) {
    framing = 'length';
    body = raw.slice(at, at + Number(get('content-length')));
    if (body.length !== Number(get('content-length'))) throw new Error('stand-in client: body shorter than its content-length');
  } else {
    framing = 'none';
    body = raw.slice(at);
  }
  return { status: status ? Number(status[1]) : undefined, reason: status?.[2], headers, body, framing, writes };
}

const inputs = (globalThis as { __esp32Inputs?: WorldInputs }).__esp32Inputs;
if (!inputs) throw new Error('stand-in world: globalThis.__esp32Inputs is not set');

/** The one virtual ESP32 of this run. */
export const world = new World(inputs);
