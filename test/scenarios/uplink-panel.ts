// A panel with an uplink key on a memory broker (256-byte packets), for the uplink-auth and
// uplink-sealed scenarios: its config, a boot, signed commands through the broker, and a log
// export long enough to take several chunks.
import { SimHost } from '../../hosts/xs/sim-host';
import { MemoryStorage } from '../../hosts/xs/memory-storage';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config';
import { signCommand, type Command } from '../../src/uplink/commands';
import { encodeKey } from '../../src/uplink/keys';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets';
import { MemoryBroker } from '../support/memory-mqtt';

export const NOW = 1_790_000_000;
export const T = (leaf: string) => `alarm/p1/${leaf}`;
export const remoteKey = () => new Uint8Array(32).fill(1);
export const uplinkKey = () => new Uint8Array(32).fill(0x42);

function uplinkConfig(host: SimHost, sealed: boolean): { config: PanelConfig; master: string } {
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.remote = { 1: encodeKey(remoteKey()) };
  raw.uplink = encodeKey(uplinkKey());
  if (sealed) raw.sealed = true;
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
  return { config: checked.config, master: first.masterCode };
}

/** Boots panel `p1` (authenticated, or sealed) and runs it for a second. */
export function bootUplinkPanel(options: { sealed?: boolean; storage?: MemoryStorage } = {}) {
  const storage = options.storage ?? new MemoryStorage();
  const broker = new MemoryBroker({ maximumPacketSize: 256 });
  const host = new SimHost({ wallStart: NOW, connect: broker.connect, storage });
  const { config, master } = uplinkConfig(host, options.sealed ?? false);
  const panel = host.open(config);
  host.runTo(panel, 1000);
  let messageId = 100;
  /** A command signed by user 1, through the broker; its bytes. */
  const send = (cmd: Command): Uint8Array => {
    const bytes = signCommand(cmd, 1, remoteKey());
    broker.send({ cmd: 'publish', topic: T('cmd'), payload: payload(bytes), qos: 1, messageId: messageId++, retain: false, dup: false } as unknown as Packet);
    host.runTo(panel, host.uptimeMs + 10);
    return bytes;
  };
  return { broker, host, panel, send, storage, master };
}

/** Thirty log entries (bypass churn), then a signed log_export: the command, its chunks and their PUBLISH sizes. */
export function exportLongLog(s: ReturnType<typeof bootUplinkPanel>) {
  for (let i = 0; i < 15; i++) {
    s.panel.keypad('bypass', s.master, { zone: 2 });
    s.panel.keypad('unbypass', s.master, { zone: 2 });
  }
  s.host.runTo(s.panel, s.host.uptimeMs + 10);
  const cmd = s.send({ id: 9, action: 'log_export', args: {}, counter: 5, time: NOW + 2 });
  const chunks = s.broker.published.filter((p) => p.topic === T('log'));
  const sizes = chunks.map((p) => encodePacket({ cmd: 'publish', topic: p.topic, payload: payload(p.payload), qos: 1, messageId: 1,
    retain: false, dup: false, properties: p.properties } as unknown as Packet, 5).length);
  return { cmd, chunks, sizes };
}
