// Installer sessions: a random token in an HttpOnly cookie, a CSRF token tied to it, an idle
// timeout and an absolute lifetime on the panel's uptime clock (a page that polls keeps a
// session from going idle, never alive past its lifetime). A few at most: the oldest goes
// when a new one comes. All end when the installer code changes or a config is imported.
import { encodeKey } from '../uplink/keys';
import { sameHash } from '../core/settings';

export interface PortalSession {
  token: string;
  /** Sent back by the page in `x-csrf-token` with every change. */
  csrf: string;
  /** Uptime (ms) at which it ends unless used again. */
  expires: number;
  /** Uptime (ms) at which it ends whatever happens. */
  ends: number;
}

export class Sessions {
  private readonly live: PortalSession[] = [];

  constructor(
    private readonly randomBytes: (n: number) => Uint8Array,
    private readonly uptime: () => number,
    readonly idleMs: number,
    private readonly max: number,
    readonly lifetimeMs: number,
  ) {}

  open(): PortalSession {
    this.sweep();
    if (this.live.length >= this.max) this.live.shift();
    const now = this.uptime();
    const session = { token: encodeKey(this.randomBytes(32)), csrf: encodeKey(this.randomBytes(32)), expires: now + this.idleMs, ends: now + this.lifetimeMs };
    this.live.push(session);
    return session;
  }

  /** The live session of a token, its idle time restarted; undefined when unknown or expired. */
  find(token: string | undefined): PortalSession | undefined {
    this.sweep();
    if (!token) return undefined;
    const session = this.live.find((s) => sameHash(s.token, token));
    if (session) session.expires = this.uptime() + this.idleMs;
    return session;
  }

  close(session: PortalSession): void {
    const i = this.live.indexOf(session);
    if (i >= 0) this.live.splice(i, 1);
  }

  closeAll(): void {
    this.live.length = 0;
  }

  private sweep(): void {
    const now = this.uptime();
    for (let i = this.live.length - 1; i >= 0; i--) {
      const s = this.live[i];
      if (s.expires <= now || s.ends <= now) this.live.splice(i, 1);
    }
  }
}
