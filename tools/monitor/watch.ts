// watch: one line per event, de-duplicated by (panel, seq), with warnings when a panel goes
// offline (its status, the broker's last will) or falls silent for longer than its heartbeat.
import type { MqttClient } from 'mqtt';
import { decodeEvent, decodeState, decodeStatus } from '../../src/uplink/payloads.ts';
import type { PanelEvent } from '../../src/core/events.ts';
import { CliError, Exit, brokerHelp, brokerOptions, brokerSettings, duration, panelId, parse, usageError, type Io } from './cli.ts';
import { connect } from './connect.ts';
import { eventText, loadNames, localTime, namer, snapshotZoneNames, type NamesFile } from './describe.ts';
import { loadUplinkKeys, readUplink, uplinkHelp } from './uplink.ts';

export const watchHelp = `Usage: monitor watch [--panel ID|+] [--json] [--share GROUP] [--names FILE] [--heartbeat DURATION] [broker options]

Prints one line per event of the panels on the broker, as it arrives:
  2026-03-01 21:04:17  p1 #42  Burglary alarm, zone 1 Front door
An event sent again after a reconnect (MQTT DUP) is shown once. Warnings start with "!":
  2026-03-01 21:09:02  p1  ! offline
  2026-03-02 22:09:02  p1  ! late: no message for 25 h (the periodic test report is daily)
  2026-03-02 22:10:00  p1  ! gap: events #43-#45 never arrived
  2026-03-02 22:11:00  p1  ! FORGED event: MAC does not match (ignored)

  --panel ID|+        one panel, or every panel (+, the default)
  --json              one JSON object per line instead: {"type":"event"|"status"|"late", …}
  --share GROUP       share the events with the other monitors of GROUP ($share/GROUP/…, MQTT 5):
                      each event goes to one of them; state and status still come to each
  --names FILE        user (and zone) names: {"users":{"1":"Owner"},"panels":{"ID":{"users":{…}}}}
  --heartbeat D       warn when a panel says nothing for longer than D (default 25h; 90s, 10m …);
                      with its uplink key, only new authenticated events count as a sign of life
${uplinkHelp}

${brokerHelp}

Runs until interrupted (Ctrl-C). Exit codes: 0 stopped, 1 cannot reach the broker, 2 bad arguments.`;

/** Seqs remembered per panel for de-duplication: far more than can ever be in flight again. */
const DEDUP_WINDOW = 4096;

interface PanelView {
  id: string;
  zones?: Map<number, string>;
  status?: 'online' | 'offline';
  seen: Set<number>;
  maxSeq: number;
  /** The panel's uplink key (--uplink): its messages must verify. */
  key?: Uint8Array;
  lastHeard: number;
  late: boolean;
  timer?: NodeJS.Timeout;
}

export interface WatchOptions {
  json: boolean;
  heartbeatMs: number;
  names: NamesFile;
  /** Uplink keys by panel id. */
  uplink?: Map<string, Uint8Array>;
}

/** The decoding and the bookkeeping, apart from MQTT: one call per message received. */
export class Watcher {
  private readonly panels = new Map<string, PanelView>();

  constructor(private readonly o: WatchOptions, private readonly io: Io, private readonly prefix: string) {
    for (const id of o.uplink?.keys() ?? []) this.panel(id); // a keyed panel that never speaks is late too
  }

  private panel(id: string): PanelView {
    let p = this.panels.get(id);
    if (!p) {
      p = { id, seen: new Set(), maxSeq: -1, lastHeard: Date.now(), late: false, key: this.o.uplink?.get(id) };
      this.panels.set(id, p);
      if (p.key) this.heard(p); // the heartbeat clock starts now; it restarts only on authenticated news
    }
    return p;
  }

  /** A message on `{prefix}/{id}/{leaf}`. */
  message(topic: string, payload: Uint8Array): void {
    const levels = topic.split('/');
    if (levels.length !== 3 || levels[0] !== this.prefix) return;
    const [, id, leaf] = levels;
    const p = this.panel(id);
    if (!p.key) this.heard(p);
    try {
      if (leaf === 'status') return this.status(p, decodeStatus(payload)); // plain text: its will is fixed at CONNECT
      if (leaf !== 'event' && leaf !== 'state') return;
      const read = readUplink(payload, p.key, id, leaf);
      if ('forged' in read) return this.warn(p, true, { type: 'forged', topic: leaf, detail: read.forged }, `FORGED ${leaf}: ${read.forged} (ignored)`);
      if (leaf === 'state') p.zones = snapshotZoneNames(decodeState(read.payload));
      else if (this.event(p, decodeEvent(read.payload)) && p.key) this.heard(p);
    } catch (err) {
      this.io.err(`monitor: ${id}: cannot read its ${leaf}: ${(err as Error).message}`);
    }
  }

  /** Shows an event; false when it was seen already. */
  private event(p: PanelView, e: PanelEvent): boolean {
    if (p.seen.has(e.seq)) return false; // sent again after a reconnect: shown once
    p.seen.add(e.seq);
    if (p.maxSeq >= 0 && e.seq > p.maxSeq + 1) {
      // Events leave the panel in order and only a PUBACK takes them out of its outbox: a hole is
      // events the broker dropped (or the outbox's own overflow, which the panel reports as 624).
      const missing = e.seq - p.maxSeq - 1;
      const range = missing === 1 ? `#${p.maxSeq + 1}` : `#${p.maxSeq + 1}-#${e.seq - 1}`;
      this.warn(p, true, { type: 'gap', from: p.maxSeq + 1, to: e.seq - 1, missing }, `gap: event${missing === 1 ? '' : 's'} ${range} never arrived`);
    }
    if (e.seq > p.maxSeq) {
      p.maxSeq = e.seq;
      if (p.seen.size > DEDUP_WINDOW) for (const s of p.seen) if (s <= p.maxSeq - DEDUP_WINDOW) p.seen.delete(s);
    }
    const names = namer(this.o.names, p.id, p.zones);
    const text = eventText(e, names);
    if (!this.o.json) {
      this.io.out(`${localTime(e.time).padEnd(19)}  ${p.id} #${e.seq}  ${text}`);
      return true;
    }
    const record: Record<string, unknown> = { type: 'event', panel: p.id, ...e, localTime: localTime(e.time), text };
    if (e.zone !== undefined && names.zone(e.zone)) record.zoneName = names.zone(e.zone);
    if (e.user !== undefined && names.user(e.user)) record.userName = names.user(e.user);
    if (p.key) record.verified = true;
    this.io.out(JSON.stringify(record));
    return true;
  }

  private status(p: PanelView, status: 'online' | 'offline'): void {
    const before = p.status;
    p.status = status;
    if (status === before) return;
    if (status === 'online' && before === undefined) return; // the retained status at start: nothing new
    // "offline" is the panel's goodbye or, when it vanished, its last will published by the broker.
    const text = status === 'offline' ? (before === undefined ? 'offline (already when the monitor started)' : 'offline') : 'online again';
    this.warn(p, status === 'offline', { type: 'status', status }, text);
  }

  private heard(p: PanelView): void {
    p.lastHeard = Date.now();
    p.late = false;
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => this.silent(p), this.o.heartbeatMs);
  }

  private silent(p: PanelView): void {
    if (p.late || p.status === 'offline') return; // warned already
    p.late = true;
    const quiet = Date.now() - p.lastHeard;
    this.warn(p, true, { type: 'late', silentMs: quiet }, `late: no ${p.key ? 'authenticated event' : 'message'} for ${hours(quiet)}`);
  }

  private warn(p: PanelView, bad: boolean, fields: Record<string, unknown>, text: string): void {
    const now = localTime(Math.floor(Date.now() / 1000));
    if (this.o.json) this.io.out(JSON.stringify({ ...fields, panel: p.id, localTime: now, text }));
    else this.io.out(`${now.padEnd(19)}  ${p.id}  ${bad ? '! ' : ''}${text}`);
  }

  stop(): void {
    for (const p of this.panels.values()) if (p.timer) clearTimeout(p.timer);
  }
}

function hours(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** Subscribes and prints until `stopped` resolves. */
export async function watch(argv: string[], io: Io, stopped: Promise<void>): Promise<number> {
  const { values } = parse(argv, {
    ...brokerOptions,
    panel: { type: 'string' },
    json: { type: 'boolean' },
    share: { type: 'string' },
    names: { type: 'string' },
    heartbeat: { type: 'string' },
    uplink: { type: 'string' },
  });
  if (values.help) { io.out(watchHelp); return 0; }
  const broker = brokerSettings(values);
  const panel = panelId(values.panel, true);
  if (values.share !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(values.share)) {
    throw usageError(`--share needs a group name (1-32 letters, digits, - or _), got ${JSON.stringify(values.share)}`);
  }
  const watcher = new Watcher({
    json: values.json === true,
    heartbeatMs: values.heartbeat === undefined ? 25 * 3_600_000 : duration(values.heartbeat, '--heartbeat'),
    names: loadNames(values.names),
    uplink: loadUplinkKeys(values.uplink),
  }, io, broker.prefix);

  const { client, protocol } = await connect(broker, { timeoutMs: 10_000, keepTrying: true, role: 'watch' });
  const base = `${broker.prefix}/${panel}`;
  const events = values.share ? `$share/${values.share}/${base}/event` : `${base}/event`;
  const filters = [`${base}/state`, `${base}/status`, events];
  client.on('message', (topic, payload) => watcher.message(topic, new Uint8Array(payload)));
  client.on('offline', () => io.err('monitor: lost the broker; reconnecting …'));
  client.on('reconnect', () => io.err('monitor: reconnecting to the broker …'));
  client.on('error', (err) => io.err(`monitor: broker: ${err.message}`));
  try {
    await subscribe(client, filters); // MQTT.js subscribes again by itself after a reconnect
  } catch (err) {
    client.end(true);
    throw new CliError(Exit.connection, (err as Error).message);
  }
  io.err(`monitor: watching ${events} on ${broker.url} (MQTT ${protocol === 5 ? '5' : '3.1.1'})`);
  await stopped;
  watcher.stop();
  client.end(true);
  return 0;
}

async function subscribe(client: MqttClient, filters: string[]): Promise<void> {
  const granted = await client.subscribeAsync(filters, { qos: 1 });
  const refused = granted.filter((g) => g.qos >= 0x80);
  if (refused.length > 0) throw new Error(`the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')}`);
}
