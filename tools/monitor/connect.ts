// The monitor's link to the broker: MQTT.js, MQTT 5 first, 3.1.1 when the broker refuses 5.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { CliError, Exit, type BrokerSettings } from './cli.ts';

/** Errors of the network itself: retrying with another protocol version would not help. */
const network = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET']);
/** CONNACK codes that say "not you", whatever the version (3.1.1: 4, 5; MQTT 5: 0x86, 0x87). */
const refusedCodes = new Set([4, 5, 0x86, 0x87, 0x8a]);

function describe(err: unknown, url: string): string {
  const e = err as Error & { code?: string | number };
  if (e.code === 'ECONNREFUSED') return `cannot connect to ${url}: connection refused (is the broker running?)`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `cannot connect to ${url}: unknown host`;
  if (typeof e.code === 'number' && refusedCodes.has(e.code)) return `the broker at ${url} refused us: ${e.message} (check --username / --password)`;
  return `cannot connect to ${url}: ${e.message}`;
}

export interface Connected {
  client: MqttClient;
  protocol: 4 | 5;
}

/**
 * Connects, or throws a CliError (exit 1) that says why. `keepTrying`: once connected, MQTT.js
 * reconnects by itself (watch); otherwise a dropped link stays down (commands).
 */
export async function connect(b: BrokerSettings, o: { timeoutMs: number; keepTrying: boolean; role: string }): Promise<Connected> {
  const base: IClientOptions = {
    clientId: `monitor-${o.role}-${randomBytes(6).toString('hex')}`,
    clean: true,
    connectTimeout: o.timeoutMs,
    reconnectPeriod: 0,
    username: b.username,
    password: b.password,
    ca: b.ca,
    rejectUnauthorized: true,
  };
  let lastError: unknown;
  for (const protocolVersion of [5, 4] as const) {
    try {
      const client = await mqtt.connectAsync(b.url, { ...base, protocolVersion }, false);
      if (!client.connected) throw new Error(`no CONNACK within ${o.timeoutMs} ms`);
      if (o.keepTrying) client.options.reconnectPeriod = 1000;
      return { client, protocol: protocolVersion };
    } catch (err) {
      lastError = err;
      const e = err as { code?: string | number };
      if (typeof e.code === 'string' && network.has(e.code)) break;
      if (typeof e.code === 'number' && refusedCodes.has(e.code)) break;
    }
  }
  throw new CliError(Exit.connection, describe(lastError, b.url));
}

/** Ends the link, waiting for what is in flight, but never longer than a second. */
export async function close(client: MqttClient): Promise<void> {
  await Promise.race([client.endAsync(false), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  client.end(true);
}
