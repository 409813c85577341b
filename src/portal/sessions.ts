// Installer sessions: a random token in an HttpOnly cookie, a CSRF token tied to it, and an
// idle timeout on the panel's uptime clock. A few at most: the oldest goes when a new one comes.
import { encodeKey } from '../uplink/keys';
import { sameHash } from '../core/settings';

export interface PortalSession {
  token: string;
  /** Sent back by the page in `x-csrf-token` with every change. */
  csrf: string;
  expires: number;
}

export class Sessions {
  private readonly live: PortalSession[] = [];

  constructor(
    private readonly randomBytes: (n: number) => Uint8Array,
    private readonly uptime: () => number,
    readonly idleMs: number,
    private readonly max: number,
  ) {}

  open(): PortalSession {
    this.sweep();
    if (this.live.length >= this.max) this.live.shift();
    const session = { token: encodeKey(this.randomBytes(32)), csrf: encodeKey(this.randomBytes(32)), expires: this.uptime() + this.idleMs };
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
    for (let i = this.live.length - 1; i >= 0; i--) if (this.live[i].expires <= now) this.live.splice(i, 1);
  }
}
