// The independent subscriber: MQTT.js, decoding with cbor2 (not the panel's cbor-x). It sees
// the panel exactly as a monitoring station would.
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { decode } from 'cbor2';

export interface Received {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  dup: boolean;
  qos: number;
  properties?: { contentType?: string; payloadFormatIndicator?: boolean; messageExpiryInterval?: number };
  /** performance.now() when it arrived. */
  at: number;
}

export class Subscriber {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic, payload: new Uint8Array(payload), retain: packet.retain, dup: packet.dup, qos: packet.qos,
        properties: packet.properties as Received['properties'], at: performance.now(),
      });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Connects and subscribes to `filters` with QoS 1 (MQTT 5: retain-as-published, to see retain flags live). */
  static async connect(url: string, filters: string[], options: IClientOptions = {}): Promise<Subscriber> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 5_000, ...options });
    const sub = new Subscriber(client);
    const v5 = (options.protocolVersion ?? 5) === 5;
    await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, v5 ? { qos: 1 as const, rap: true } : { qos: 1 as const }])));
    return sub;
  }

  on(topic: string): Received[] { return this.messages.filter((m) => m.topic === topic); }

  /** Resolves when `done()` holds (checked on every message), rejects after `timeoutMs` naming `what`. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!done()) {
      const left = end - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Publishes a marker to itself and waits for it: everything queued before it has arrived. */
  async sync(topic: string): Promise<void> {
    const marker = `sync-${Math.random()}`;
    await this.client.publishAsync(topic, marker, { qos: 1 });
    await this.until(() => this.messages.some((m) => m.topic === topic && Buffer.from(m.payload).toString() === marker), `sync on ${topic}`);
  }

  async close(): Promise<void> { await this.client.endAsync(true); }
}

export interface WireEvent { v: number; seq: number; boot: number; uptime: number; time?: number; code: number; q: number; zone?: number; user?: number }

/** An event as cbor2 reads it (integer keys per wire.cddl). */
export function readEvent(payload: Uint8Array): WireEvent {
  const m = decode(payload) as Map<number, number | bigint>;
  if (!(m instanceof Map)) throw new Error('event is not a CBOR map');
  const n = (k: number) => (m.has(k) ? Number(m.get(k)) : undefined);
  const e: WireEvent = { v: n(0)!, seq: n(1)!, boot: n(2)!, uptime: n(3)!, code: n(5)!, q: n(6)! };
  if (m.has(4)) e.time = n(4);
  if (m.has(7)) e.zone = n(7);
  if (m.has(8)) e.user = n(8);
  return e;
}

/** The seqs as a consumer sees them after de-duplicating by seq (first arrival kept). */
export function firstArrivals(seqs: number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((s) => (seen.has(s) ? false : (seen.add(s), true)));
}

/** 1..n */
export const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
