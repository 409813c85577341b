// The uplink on Moddable builds (ESP32, lin): a `Connect` over ECMA-419 TCP (embedded:io/socket/tcp), or
// TLS for mqtts (./tls: Moddable's TLS engine, guarded). It runs no timer: what it receives wakes
// the host's one scheduler (./service.ts) through the session's `wake` hook.
//
// Every callback the network calls runs under a try: an exception that escapes a native
// callback is `XS abort`, a restart of the ESP32. Here it closes the link instead, with the
// reason, and the session reconnects with its backoff.
//
// ECMA-419 sockets take an IP address, so a host name is resolved first (lwIP's resolver
// through Moddable's `net`). Writes are paced by onWritable: the socket refuses more bytes
// than it can buffer, so what does not fit waits in a small queue here.
import TCP from "embedded:io/socket/tcp";
import { TlsSocket } from "./tls";
import Net from "net";
import type { Connect, Transport, TransportEvents, TransportTarget } from "../../src/uplink/transport";

/** What this file needs of both socket classes (TCP and Moddable's TLS socket). */
interface Socket {
  read(count: number): unknown;
  write(bytes: Uint8Array): unknown;
  close(): unknown;
}

const isIPv4 = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

class ModdableLink implements Transport {
  private socket: Socket | undefined;
  private closed = false;
  private connected = false;
  private writable = 0;
  private readonly queue: Uint8Array[] = [];

  constructor(private readonly target: TransportTarget, private readonly events: TransportEvents) {
    if (isIPv4(target.host)) {
      this.open(target.host);
    } else {
      try {
        Net.resolve(target.host, (_name, address) => {
          if (this.closed) return;
          if (address) this.open(address);
          else this.finish(`cannot resolve ${target.host}`);
        });
      } catch (err) {
        this.finish(`cannot resolve ${target.host}: ${(err as Error).message}`); // lwIP's lookup queue is full
      }
    }
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.queue.push(bytes);
    if (this.connected) this.flush();
    return !this.closed;
  }

  close(): void {
    this.finish("closed by the panel");
  }

  private open(address: string): void {
    const options = {
      address,
      port: this.target.port,
      onReadable: (count: number) => this.guard(() => this.readable(count)),
      onWritable: (count: number) => this.guard(() => this.onWritable(count)),
      onError: (reason?: string) => this.finish(typeof reason === "string" ? reason : "connection lost"),
    };
    try {
      const tls = this.target.tls;
      if (tls) {
        // DER certificates; the server name (SNI, and the name its certificate must carry) from `host`.
        this.socket = new TlsSocket({
          ...options,
          host: tls.servername ?? this.target.host,
          certificate: tls.ca ? pemToDer(tls.ca)[0] : undefined,
          clientCertificates: tls.cert ? pemToDer(tls.cert) : undefined,
          clientKey: tls.key ? pemToDer(tls.key)[0] : undefined,
        });
      } else {
        this.socket = new TCP({ ...options, nodelay: true, format: "buffer" }) as unknown as Socket;
      }
    } catch (err) {
      this.finish(`cannot open ${address}:${this.target.port}: ${(err as Error).message}`);
    }
  }

  /** Runs a network callback: what it throws closes the link, never reaches the native caller. */
  private guard(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.finish(`failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private onWritable(count: number): void {
    if (this.closed) return;
    this.writable = count;
    if (!this.connected) {
      this.connected = true; // ECMA-419: the first onWritable means connected (for TLS: handshake done)
      this.events.onConnect();
    }
    this.flush();
  }

  private readable(count: number): void {
    if (this.closed || !this.socket) return;
    try {
      const data = this.socket.read(count);
      if (data instanceof ArrayBuffer) this.events.onData(new Uint8Array(data));
    } catch (err) {
      this.finish(`read failed: ${(err as Error).message}`);
    }
  }

  private flush(): void {
    while (!this.closed && this.socket && this.queue.length > 0 && this.writable > 0) {
      const head = this.queue[0];
      const n = Math.min(head.length, this.writable);
      try {
        const left = this.socket.write(n === head.length ? head : head.subarray(0, n));
        this.writable = typeof left === "number" ? left : this.writable - n;
      } catch (err) {
        this.finish(`write failed: ${(err as Error).message}`);
        return;
      }
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    const socket = this.socket;
    this.socket = undefined;
    try { socket?.close(); } catch { /* already gone */ }
    this.events.onClose(reason);
  }
}

/** TCP, or TLS when the target has `tls` (CA, optional client certificate and key). */
export const moddableConnect: Connect = (target, events) => new ModdableLink(target, events);

/** The DER bytes of every PEM block in `pem` (certificates, keys). */
export function pemToDer(pem: string): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const re = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) blocks.push(base64(m[1]));
  return blocks;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(text: string): Uint8Array {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const c of clean) {
    value = (value << 6) | alphabet.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}
