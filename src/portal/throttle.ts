// Code entries per client: a device on the LAN that types wrong codes is slowed down on its
// own, long before it can reach the panel-wide lockout (10 wrong codes lock every keypad for
// 90 s) and lock the owner out with it.
//
// Each client (its network address) has FREE_WRONG wrong codes in a row; after that each
// further wrong code makes it wait, 30 s doubling to 15 min. A right code forgets the client.
// At most MAX_CLIENTS are remembered: when full, the one whose wait ends first is dropped, so
// a client cannot buy its way out by making new ones (it can only lose the least of them).

export const FREE_WRONG = 3;
export const FIRST_WAIT_MS = 30_000;
export const LONGEST_WAIT_MS = 15 * 60_000;
export const MAX_CLIENTS = 32;
/** A client with no wrong code for this long is forgotten. */
const FORGET_MS = 60 * 60_000;

interface Record {
  wrong: number;
  /** Uptime (ms) until which its code entries are refused. */
  until: number;
  last: number;
}

export class CodeThrottle {
  private readonly clients = new Map<string, Record>();

  constructor(private readonly uptime: () => number) {}

  /** Milliseconds this client must still wait before it may enter a code; 0 when it may now. */
  wait(client: string): number {
    const r = this.clients.get(client);
    return r ? Math.max(0, r.until - this.uptime()) : 0;
  }

  /** A wrong code from this client. */
  wrong(client: string): void {
    const now = this.uptime();
    let r = this.clients.get(client);
    if (!r) {
      this.sweep(now);
      r = { wrong: 0, until: 0, last: now };
      this.clients.set(client, r);
    }
    r.wrong += 1;
    r.last = now;
    const over = r.wrong - FREE_WRONG + 1;
    if (over > 0) r.until = now + Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(over - 1, 10));
  }

  /** A right code from this client: it starts afresh. */
  right(client: string): void {
    this.clients.delete(client);
  }

  /** Clients remembered now (for tests: the map stays bounded). */
  size(): number {
    return this.clients.size;
  }

  /** Forgets clients quiet for an hour, then, if still full, the one whose wait ends first. */
  private sweep(now: number): void {
    for (const [client, r] of this.clients) if (r.until <= now && now - r.last > FORGET_MS) this.clients.delete(client);
    if (this.clients.size < MAX_CLIENTS) return;
    let least: string | undefined;
    let leastUntil = Infinity;
    for (const [client, r] of this.clients) {
      if (r.until < leastUntil) {
        least = client;
        leastUntil = r.until;
      }
    }
    if (least !== undefined) this.clients.delete(least);
  }
}
