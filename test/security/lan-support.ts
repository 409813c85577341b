// A panel on simulated hardware with a broker in memory, a remote key for user 1 and its
// portal, as the attack tests need it: what a LAN client and a broker client can send.
import { SimHost } from '../../hosts/xs/sim-host.ts';
import { firstBootConfig, validateConfig, type PanelConfig } from '../../src/config.ts';
import { createPortal } from '../../src/portal/portal.ts';
import type { PortalRequest, PortalResponse } from '../../src/portal/http.ts';
import { signCommand, decodeReply, type Command, type Reply } from '../../src/uplink/commands.ts';
import { encodeKey } from '../../src/uplink/keys.ts';
import { encodePacket, payload, type Packet } from '../../src/uplink/packets.ts';
import { MemoryBroker } from '../support/memory-mqtt.ts';

export const NOW = 1_790_000_000;
export const PANEL_ADDRESS = '192.168.1.10';
export const keyOf = (user: number) => new Uint8Array(32).fill(user);
export const T = (leaf: string) => `alarm/p1/${leaf}`;

export function brokerPanel() {
  const broker = new MemoryBroker();
  const host = new SimHost({ wallStart: NOW, connect: broker.connect });
  const first = firstBootConfig('p1', (n) => host.randomBytes(n));
  const raw = JSON.parse(JSON.stringify(first.config)) as PanelConfig;
  raw.broker.url = 'mqtt://broker.test:1883';
  raw.remote = { 1: encodeKey(keyOf(1)) };
  const checked = validateConfig(raw);
  if (!checked.ok) throw new Error(checked.errors.map((e) => `${e.field} ${e.message}`).join('; '));
  const panel = host.open(checked.config);
  host.runTo(panel, 1000);
  const handler = createPortal(panel, host, { names: () => [PANEL_ADDRESS] });
  let messageId = 100;
  let counter = 1;
  const step = () => host.runTo(panel, host.uptimeMs + 10);
  /** Raw bytes on the command topic, as anyone who can publish on the broker sends them. */
  const deliver = (topic: string, body: Uint8Array) => {
    broker.send({ cmd: 'publish', topic, payload: payload(body), qos: 1, messageId: messageId++, retain: false, dup: false } as unknown as Packet);
  };
  /** A command signed with user 1's key, delivered, and the panel run. */
  const command = (action: Command['action'], id: number) => {
    const cmd: Command = { id, action, args: action.startsWith('arm_') ? { force: false } : {}, counter: counter++, time: NOW + Math.floor(host.uptimeMs / 1000) };
    deliver(T('cmd'), signCommand(cmd, 1, keyOf(1)));
    step();
  };
  const replies = (): Reply[] => broker.published.filter((p) => p.topic === T('reply')).map((p) => {
    const r = decodeReply(p.payload);
    if ('error' in r) throw new Error(r.error);
    return r.reply;
  });
  /** A keypad entry at the portal from a LAN client. */
  const keypad = (client: string, action: string, code: string): PortalResponse => handler(lan(client, 'POST', '/api/keypad', { action, code }));
  return { broker, host, panel, first, handler, deliver, command, replies, keypad, step, encodePacket };
}

/** A request from a browser at `client` on the portal's own page. */
export function lan(client: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): PortalRequest {
  const bytes = body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(body));
  const base: Record<string, string> = { host: PANEL_ADDRESS };
  if (method !== 'GET') Object.assign(base, { origin: `http://${PANEL_ADDRESS}`, 'content-type': 'application/json' });
  return { method, path, headers: { ...base, ...headers }, body: bytes, client };
}

export const read = (r: PortalResponse) => JSON.parse(new TextDecoder().decode(r.body));
