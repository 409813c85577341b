// The terminal's live view of the panel, as a monitoring station sees it: an MQTT.js client
// on the panel's own broker, decoding what the panel publishes (events, status, state).
import mqtt, { type MqttClient } from 'mqtt';
import { decodeEvent, decodeState, decodeStatus } from '../../src/uplink/payloads.ts';
import { topicsFor } from '../../src/uplink/topics.ts';
import { decodeKey } from '../../src/uplink/keys.ts';
import { openUplink, type UplinkKind } from '../../src/uplink/uplink-auth.ts';
import { formatEvent } from './event-line.ts';

export interface LiveFeedOptions {
  url: string;
  prefix: string;
  panelId: string;
  username?: string;
  password?: string;
  ca?: string;
  /** One line for the terminal. */
  print(line: string): void;
  zoneName?(zone: number): string | undefined;
  /** The panel's uplink key (base64url), when it has one: events and state are then checked with it. */
  uplinkKey?(): string | undefined;
  /** Wait at most this long for the subscription before going on without it (default 3 s). */
  startTimeoutMs?: number;
}

export class LiveFeed {
  private mode: unknown;
  private offlineWaiters: Array<() => void> = [];

  private constructor(private readonly client: MqttClient, private readonly options: LiveFeedOptions) {}

  /** Connects and subscribes; resolves once subscribed, or after the start timeout (it keeps retrying). */
  static async start(options: LiveFeedOptions): Promise<LiveFeed> {
    const client = mqtt.connect(options.url, {
      // 3.1.1 speaks to every broker, the embedded aedes included.
      protocolVersion: 4,
      clientId: `sim-feed-${options.panelId}-${Math.random().toString(16).slice(2, 8)}`,
      username: options.username, password: options.password, ca: options.ca,
      reconnectPeriod: 1000, connectTimeout: 5000,
    });
    const feed = new LiveFeed(client, options);
    const topics = topicsFor(options.prefix, options.panelId);
    client.on('message', (topic, payload, packet) => feed.message(topic, new Uint8Array(payload), packet.retain));
    let lastError = '';
    client.on('error', (err) => { // once per new error, not at every retry
      if (err.message !== lastError) options.print(`feed    ${err.message}`);
      lastError = err.message;
    });
    client.on('connect', () => { lastError = ''; });
    const subscribed = new Promise<void>((resolve) => {
      client.on('connect', () => {
        client.subscribe([topics.event, topics.status, topics.state], { qos: 1 }, () => resolve());
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, options.startTimeoutMs ?? 3000); });
    await Promise.race([subscribed, late]);
    clearTimeout(timer);
    if (!client.connected) options.print(`feed    cannot reach ${options.url} yet; still trying`);
    return feed;
  }

  private message(topic: string, payload: Uint8Array, retained: boolean): void {
    const { print, zoneName } = this.options;
    const leaf = topic.slice(topic.lastIndexOf('/') + 1);
    const tag = retained ? ' (retained)' : '';
    try {
      if (leaf === 'event' || leaf === 'state') {
        const text = this.options.uplinkKey?.();
        const key = text === undefined ? undefined : decodeKey(text);
        if (key) {
          const opened = openUplink(payload, key, this.options.panelId, leaf as UplinkKind);
          if (!opened.ok) return print(`feed    FORGED ${leaf}: ${opened.detail}`);
          payload = opened.payload;
        }
      }
      if (leaf === 'event') print(`event   ${formatEvent(decodeEvent(payload), zoneName)}`);
      else if (leaf === 'status') {
        const status = decodeStatus(payload);
        print(`status  ${status}${tag}`);
        if (status === 'offline') for (const w of this.offlineWaiters.splice(0)) w();
      } else if (leaf === 'state') {
        const state = decodeState(payload);
        if (state.mode === this.mode) return;
        this.mode = state.mode;
        const delay = state.exit !== undefined ? ` (exit delay ${state.exit} s)` : state.entry !== undefined ? ` (entry delay ${state.entry} s)` : '';
        print(`state   ${String(state.mode)}${delay}${tag}`);
      }
    } catch (err) {
      print(`feed    unreadable message on ${topic}: ${(err as Error).message}`);
    }
  }

  /** Resolves once an "offline" arrives after this call (true), or after `timeoutMs` (false). */
  offline(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.offlineWaiters.push(() => { clearTimeout(timer); resolve(true); });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
