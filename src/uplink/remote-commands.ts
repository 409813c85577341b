// Signed remote commands (commands.ts) as the panel takes them: each is authenticated with its
// user's key, counter and the nonce, then goes to the core as one `remote` input (or, for
// log_export, sends the log); the reply is bound to the command. Also the command counters on
// flash and the retained nonce. It reaches the panel only through its port (panel-port.ts).
import type { PanelConfig } from '../config';
import { parseCounters, type Counters } from '../config';
import { fromUtf8, utf8 } from '../text';
import { authenticateCommand, encodeReply, refusalReply } from './commands';
import { decodeKey } from './keys';
import { encodeLogChunks } from './log-export';
import { Nonces } from './nonce';
import { topicsFor } from './topics';
import { SEALED_OVERHEAD, UPLINK_OVERHEAD } from './uplink-auth';
import { CommandQueue, type PanelPort } from './panel-port';

const json = (value: unknown) => utf8(JSON.stringify(value));
const unjson = (bytes: Uint8Array): unknown => JSON.parse(fromUtf8(bytes));

export class RemoteCommands {
  /** Commands waiting for `service()` (bounded: a flood is dropped and counted). */
  readonly queue: CommandQueue;
  /** Last accepted command counter per user; null: lost (unreadable on flash), refused until re-keyed. */
  private readonly lastCounters: Counters;
  /** The command nonce (nonce.ts), made when first needed; RAM only, so a reboot draws a new one. */
  private nonces: Nonces | undefined;
  /** Whether the last nonce message said the clock is set (undefined: none published yet). */
  private nonceClock: boolean | undefined;

  constructor(private readonly port: PanelPort) {
    this.queue = new CommandQueue('commands', port);
    this.lastCounters = this.loadCounters();
  }

  /** Before the uplink's tick: a new nonce when it is due (no clock), or the clock came or went. */
  rotate(now: number): void {
    if (!this.nonces || !this.hasRemoteUsers()) return;
    const clock = this.port.clock.wallTime() !== undefined;
    if (!clock && this.nonces.rotateAt() <= now) {
      this.nonces.rotate(now);
      this.publishNonce();
    } else if (clock !== this.nonceClock) {
      this.publishNonce(); // the clock came (or went): monitors learn whether the nonce is needed
    }
  }

  /** After the uplink's tick: a few queued commands. */
  run(): void {
    this.queue.run((bytes) => this.command(bytes));
  }

  /** When the nonce must rotate (no clock), if ever. */
  nextDeadline(): number | undefined {
    return this.nonces && this.hasRemoteUsers() && this.port.clock.wallTime() === undefined ? this.nonces.rotateAt() : undefined;
  }

  /** The current nonce, retained on `{p}/{id}/nonce`, when some user may send commands. */
  publishNonce(): void {
    const uplink = this.port.uplink();
    if (!uplink || !this.hasRemoteUsers()) return;
    const clock = this.port.clock.wallTime() !== undefined;
    this.nonceClock = clock;
    const cfg = this.port.config();
    const topic = topicsFor(cfg.broker.prefix, cfg.panel.id).nonce;
    uplink.publish(topic, this.port.seal('nonce', this.nonce().message(clock)), { retain: true, qos: 1, contentType: 'application/cbor' });
  }

  /** The command counters, for the config export: they travel with the keys. */
  counters(): Counters {
    return { ...this.lastCounters };
  }

  /**
   * Counters from a config import: each user's counter becomes the higher of the two, never
   * lower; a counter lost on either side stays lost (refused until re-keyed).
   */
  adoptCounters(imported: Counters): void {
    for (const [user, value] of Object.entries(imported)) {
      const mine = this.lastCounters[user];
      this.lastCounters[user] = value === null || mine === null ? null : Math.max(mine ?? 0, value);
    }
    this.port.state.save('counters', json(this.lastCounters));
  }

  /** A new config is in use: a new key starts a new counter, so a lost counter no longer matters for it. */
  rekeyed(before: PanelConfig, after: PanelConfig): void {
    let rekeyed = false;
    for (const [user, last] of Object.entries(this.lastCounters)) {
      if (last !== null || before.remote[user] === after.remote[user]) continue;
      delete this.lastCounters[user];
      rekeyed = true;
      this.port.log(`remote key of user ${user} replaced: its commands are taken again`);
    }
    if (rekeyed) this.port.state.save('counters', json(this.lastCounters));
  }

  /**
   * The command counters. Never saved: none. Unreadable (both copies damaged, or not counters):
   * every user who holds a key is marked lost, saved so, and refused until given a new key — a
   * counter back at 0 would take any old capture again.
   */
  private loadCounters(): Counters {
    const { bytes, problems } = this.port.state.load('counters');
    for (const p of problems) this.port.log(`state: ${p}`);
    if (!bytes && problems.length === 0) return {};
    if (bytes) {
      try {
        const parsed = parseCounters(unjson(bytes));
        if (parsed.ok) return parsed.counters;
      } catch { /* not JSON: lost, below */ }
    }
    const lost: Counters = {};
    for (const user of Object.keys(this.port.config().remote)) lost[user] = null;
    const users = Object.keys(lost);
    this.port.log(`SECURITY: the remote-command counters on flash are unreadable; ${users.length ? `commands of user ${users.join(', ')} are refused until each gets a new key in the portal` : 'no user holds a key'}`);
    this.port.state.save('counters', json(lost));
    return lost;
  }

  private hasRemoteUsers(): boolean {
    return Object.keys(this.port.config().remote).length > 0;
  }

  private nonce(): Nonces {
    return (this.nonces ??= new Nonces((n) => this.port.randomBytes(n), this.port.clock.uptime()));
  }

  private command(bytes: Uint8Array): void {
    const port = this.port;
    const cfg = port.config();
    const auth = authenticateCommand(bytes, {
      keyFor: (user) => {
        const text = cfg.remote[String(user)];
        return text === undefined ? undefined : decodeKey(text);
      },
      lastCounter: (user) => {
        const last = this.lastCounters[String(user)];
        return last === null ? null : last ?? 0;
      },
      now: port.clock.wallTime(),
      nonceFresh: (nonce) => this.nonce().fresh(nonce, port.clock.uptime()),
    });
    if (!auth.ok) {
      const loud = auth.reason === 'counter_lost' ? 'SECURITY: ' : '';
      port.tally.note(`${loud}commands refused (${auth.reason})`, `${loud}command refused: ${auth.reason}${auth.detail ? ` (${auth.detail})` : ''}`);
      port.uplink()?.reply(port.seal('reply', encodeReply(refusalReply(auth)), bytes));
      return;
    }
    // The counter is spent whatever the core decides: a refused command cannot be replayed later.
    this.lastCounters[String(auth.user)] = auth.counter;
    port.state.save('counters', json(this.lastCounters));
    this.nonce().rotate(port.clock.uptime()); // a nonce serves one accepted command (and its grace)
    this.publishNonce();
    if (auth.action === 'log_export') return this.exportLog(auth.id, auth.user, bytes);
    const result = port.input({ type: 'remote', user: auth.user, action: auth.action, zone: auth.args.zone, force: auth.args.force });
    if (result && !result.ok) port.log(`command from user ${auth.user} refused: ${result.reason}`);
    const mode = port.snapshot().mode;
    port.uplink()?.reply(port.seal('reply', encodeReply(result?.ok
      ? { id: auth.id, ok: true, state: mode }
      : { id: auth.id, ok: false, reason: result?.reason ?? 'invalid_input', zones: result && !result.ok ? result.zones : undefined, state: mode }), bytes));
  }

  /**
   * log_export: the whole log, hash chain and all, in numbered chunks on `{p}/{id}/log` that fit
   * the broker's packet size (QoS 1, not retained), then a reply with the chunk count. Masters and
   * users may export; arm-only users may not. A signed command carries no code: the wrong-code
   * lockout does not apply to it.
   */
  private exportLog(id: number, number: number, command: Uint8Array): void {
    const port = this.port;
    const uplink = port.uplink();
    if (!uplink) return;
    const cfg = port.config();
    const refuse = (reason: string, detail?: string) => {
      port.log(`command from user ${number} refused: ${reason}`);
      uplink.reply(port.seal('reply', encodeReply({ id, ok: false, reason, detail, state: port.snapshot().mode }), command));
    };
    const user = cfg.alarm.users.find((u) => u.number === number);
    if (!user) return refuse('unknown_user');
    if (user.role === 'arm-only') return refuse('not_permitted', 'arm-only users may not export the log');
    const topic = topicsFor(cfg.broker.prefix, cfg.panel.id).log;
    let chunks: Uint8Array[];
    try {
      const room = uplink.maxPayload(topic) - (cfg.uplink === undefined ? 0 : cfg.sealed ? SEALED_OVERHEAD : UPLINK_OVERHEAD);
      chunks = encodeLogChunks(id, port.exportLog(), room).map((c) => port.seal('log', c, command));
    } catch (err) {
      return refuse('too_large', (err as Error).message); // the broker's packets are too small for chunks
    }
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    if (!uplink.canQueue(chunks.length, bytes)) {
      return refuse('busy', `the log is ${chunks.length} chunks (${bytes} bytes); the uplink queue has no room for it now`);
    }
    for (const chunk of chunks) uplink.publish(topic, chunk, { retain: false, qos: 1, contentType: 'application/cbor' });
    port.log(`log exported by user ${number}: ${chunks.length} chunks`);
    uplink.reply(port.seal('reply', encodeReply({ id, ok: true, chunks: chunks.length, state: port.snapshot().mode }), command));
  }
}
