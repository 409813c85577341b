// A whole panel on the simulated board with a broker in memory and a hand clock, for the attack
// tests: the broker is the attacker, so the test holds back, replays and reads what it likes.
import { SimHost } from '../../hosts/xs/sim-host.ts';
import { MemoryStorage } from '../../hosts/xs/memory-storage.ts';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config.ts';
import { hashCode, makeUser } from '../../src/core/settings.ts';
import { decodeReply, signCommand, type Command, type Reply } from '../../src/uplink/commands.ts';
import { encodeKey } from '../../src/uplink/keys.ts';
import { decodeNonceMessage } from '../../src/uplink/nonce.ts';
import { payload, type Packet } from '../../src/uplink/packets.ts';
import type { Panel } from '../../src/app.ts';
import { MemoryBroker } from '../support/memory-mqtt.ts';

export const NOW = 1_790_000_000;
export const keyOf = (user: number, salt = 0) => new Uint8Array(32).fill(user * 7 + 1 + salt);
export const T = (leaf: string) => `alarm/p1/${leaf}`;
/** The installer code of every test panel (the portal login). */
export const INSTALLER = '246810';

/** A config for panel p1: user 1 Owner (master, holds a key), 2 Family (user, holds a key). */
export function panelConfig(host: SimHost, over: Partial<PanelConfig> = {}): PanelConfig {
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
  raw.alarm.users.push(makeUser({ number: 2, name: 'Family', role: 'user', code: '2580', salt: '0011223344556677' }));
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.remote = { 1: encodeKey(keyOf(1)), 2: encodeKey(keyOf(2)) };
  raw.installer = { salt: 'a1b2c3d4', codeHash: hashCode(INSTALLER, 'a1b2c3d4') };
  Object.assign(raw, over);
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
  return checked.config;
}

export class Rig {
  readonly broker = new MemoryBroker();
  host!: SimHost;
  panel!: Panel;
  private messageId = 100;

  /** `wallStart` undefined: the panel's clock is never set (no SNTP). `seed`: the board's RNG this boot. */
  constructor(readonly config: (host: SimHost) => PanelConfig, readonly storage = new MemoryStorage(), private readonly wallStart?: number) {}

  boot(seed: number): this {
    this.host = new SimHost({ storage: this.storage, connect: this.broker.connect, wallStart: this.wallStart, seed });
    this.panel = this.host.open(this.config(this.host));
    this.run(1000);
    return this;
  }

  run(ms: number): void { this.host.runTo(this.panel, this.host.uptimeMs + ms); }

  /** The nonce the panel publishes (retained), or undefined when there is none. */
  nonce(): Uint8Array | undefined {
    const bytes = this.broker.retained.get(T('nonce'));
    if (!bytes) return undefined;
    const m = decodeNonceMessage(bytes);
    return 'message' in m ? m.message.nonce : undefined;
  }

  /** A command as the owner's monitor signs it now (with the published nonce, if any). */
  sign(user: number, action: Command['action'], o: { id: number; counter: number; key?: Uint8Array }): Uint8Array {
    const nonce = this.nonce();
    const cmd: Command = {
      id: o.id, action, args: action.startsWith('arm_') ? { force: false } : {}, counter: o.counter,
      time: (this.wallStart ?? NOW) + Math.floor(this.host.uptimeMs / 1000), ...(nonce ? { nonce } : {}),
    };
    return signCommand(cmd, user, o.key ?? keyOf(user));
  }

  /** The broker hands a `cmd` message to the panel; the panel runs. */
  deliver(bytes: Uint8Array): void {
    this.broker.send({ cmd: 'publish', topic: T('cmd'), payload: payload(bytes), qos: 1, messageId: this.messageId++, retain: false, dup: false } as unknown as Packet);
    this.run(10);
  }

  replies(): Reply[] {
    return this.broker.published.filter((p) => p.topic === T('reply')).map((p) => {
      const r = decodeReply(p.payload);
      if ('error' in r) throw new Error(r.error);
      return r.reply;
    });
  }

  lastReply(): Reply | undefined { return this.replies().at(-1); }

  /** The panel loses power (nothing said to the broker); the next `boot` is a restart. */
  powerCut(): void {
    this.panel.close();
  }
}
