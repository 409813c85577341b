// arm / arm-home / arm-night / disarm / bypass / unbypass / silence / test / log: a command
// signed with the user's key (COSE_Mac0), sent to {p}/{id}/cmd, and its reply awaited on
// {p}/{id}/reply. `log` then collects the chunks on {p}/{id}/log and checks the hash chain.
import { randomInt } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { decodeReply, signCommand, MAX_USER, type Command, type CommandAction, type Reply } from '../../src/uplink/commands.ts';
import { decodeKey } from '../../src/uplink/keys.ts';
import { decodeState, decodeStatus } from '../../src/uplink/payloads.ts';
import { decodeLogChunk, joinLogChunks, type LogChunk } from '../../src/uplink/log-export.ts';
import { decodeNonceMessage, type NonceMessage } from '../../src/uplink/nonce.ts';
import { CliError, Exit, brokerHelp, brokerOptions, brokerSettings, duration, integer, panelId, parse, readText, usageError, type Io } from './cli.ts';
import { close, connect } from './connect.ts';
import { loadNames, namer, snapshotZoneNames, zonesText, type Namer } from './describe.ts';
import { verifyExport } from './log.ts';
import { isSealed, loadUplinkKeys, peekUplink, readUplink, uplinkHelp } from './uplink.ts';

/** The monitor's command names and the panel's actions. */
export const actions: Record<string, CommandAction> = {
  arm: 'arm_away', 'arm-home': 'arm_home', 'arm-night': 'arm_night', disarm: 'disarm',
  bypass: 'bypass', unbypass: 'unbypass', silence: 'silence', test: 'test', log: 'log_export',
};

const what: Record<string, string> = {
  arm: 'arms the panel (away)', 'arm-home': 'arms the panel for people at home', 'arm-night': 'arms the panel for the night',
  disarm: 'disarms the panel (and stops the siren)', bypass: 'bypasses ZONE until the next disarm', unbypass: 'ends the bypass of ZONE',
  silence: 'stops the siren; the panel stays triggered', test: 'sends a test report (602)',
  log: 'fetches the event log, writes it to a file and verifies its hash chain',
};

export function commandHelp(name: string): string {
  const zone = name === 'bypass' || name === 'unbypass' ? ' ZONE' : '';
  const force = name.startsWith('arm') ? '  --force           bypass open zones instead of refusing (not for arm-only users)\n' : '';
  const log = name === 'log'
    ? `  --out FILE        where to write the export (default log-ID-DATE.bin)
  --list            also print every entry in words
  --names FILE      user and zone names for --list (see watch --help)

Or check a file already downloaded (from the portal), without a broker:
  monitor log --verify FILE [--list] [--names FILE]
`
    : '';
  return `Usage: monitor ${name}${zone} --panel ID (--keyfile FILE | --user N --key KEY) [options]

Signs the command with your key and ${what[name]}; prints the panel's reply.

  --panel ID        the panel (its id in alarm/ID/…)
  --keyfile FILE    your key as keygen --json writes it: {"user": N, "key": "…"}
  --user N --key K  the same, on the command line (visible to others on this machine)
  --timeout D       how long to wait for the reply (default 10s)
  --json            print the reply as one JSON object
${uplinkHelp}
${force}${log}
${brokerHelp}

Exit codes: 0 accepted, 1 broker unreachable, 2 bad arguments, 3 refused by the panel (the reason
is printed), 4 no reply within --timeout${name === 'log' ? ', 5 the log\'s hash chain is broken' : ''}, 6 FORGED: a reply (or log
chunk) the panel did not send (with --uplink).`;
}

export interface Signer {
  user: number;
  key: Uint8Array;
}

/** The user's key, from --keyfile or --user/--key. Nothing here ever prints the key. */
export function loadSigner(values: { keyfile?: string; user?: string; key?: string }, io: Io): Signer {
  if (values.keyfile !== undefined) {
    if (values.user !== undefined || values.key !== undefined) throw usageError('give either --keyfile or --user and --key, not both');
    const file = values.keyfile;
    let raw: unknown;
    try {
      raw = JSON.parse(readText(file, 'key file'));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw usageError(`key file ${JSON.stringify(file)} is not JSON (keygen --json writes one)`);
    }
    const r = raw as { user?: unknown; key?: unknown };
    if (typeof raw !== 'object' || raw === null || typeof r.user !== 'number' || typeof r.key !== 'string') {
      throw usageError(`key file ${JSON.stringify(file)} must hold {"user": N, "key": "…"}`);
    }
    try {
      if ((statSync(file).mode & 0o077) !== 0) io.err(`monitor: warning: key file ${JSON.stringify(file)} is readable by others (chmod 600 it)`);
    } catch { /* read above; a stat failure is not worth stopping for */ }
    return signer(String(r.user), r.key, `key file ${JSON.stringify(file)}`);
  }
  if (values.user === undefined || values.key === undefined) throw usageError('a command must be signed: give --keyfile FILE, or --user N and --key KEY');
  return signer(values.user, values.key, '--key');
}

function signer(user: string, keyText: string, source: string): Signer {
  const number = integer(user, 'the user', 1, MAX_USER);
  const key = decodeKey(keyText);
  if (!key) throw usageError(`${source}: the key is not a 256-bit key in base64url (43 characters)`);
  return { user: number, key };
}

/**
 * The command counter. The panel accepts a user's command only if its counter is above the last
 * one it accepted from that user, and keeps nothing else. Taking the counter from the wall clock
 * (ms × 1000, plus a random 0-999) needs no state shared between the machines a user sends from:
 * it grows with time on each of them, and two commands sent in the same millisecond still differ.
 * The panel already requires the sender's clock to be right (-40 s / +20 s), so this asks nothing
 * new; a machine whose clock runs behind another's by more than the gap between their commands
 * gets "replay" until its clock is fixed. Below 2^53 until the year 2255.
 */
export function nextCounter(now = Date.now()): number {
  return now * 1000 + randomInt(1000);
}

/** How long a command waits for the panel's retained nonce before it goes without one. */
const NONCE_WAIT_MS = 2_000;

const actionWords = (a: CommandAction) => a.replace(/_/g, ' ');

/** A reply, or a log chunk, that the panel did not send: what was wrong with it. */
export class Forged extends Error {}

/**
 * What the monitor learned from the panel's topics while waiting. With the panel's uplink key,
 * each message is verified: a reply or log chunk for our command that fails is `forged`; a nonce
 * or state that fails is ignored (it would only cost a refusal or names).
 */
class PanelLink {
  /** Replies and log chunks as received; judged once our command's bytes are known. */
  private readonly rawReplies: Uint8Array[] = [];
  private readonly rawChunks: Uint8Array[] = [];
  nonce: NonceMessage | undefined;
  status: string | undefined;
  zones: Map<number, string> | undefined;
  /** Some message was read unverified (the panel authenticates, we hold no uplink key). */
  unverified = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly client: MqttClient, readonly topics: Record<'cmd' | 'reply' | 'status' | 'state' | 'log' | 'nonce', string>,
    private readonly io: Io, private readonly panel: string, private readonly key: Uint8Array | undefined) {
    client.on('message', (topic, payload) => this.message(topic, new Uint8Array(payload)));
  }

  private message(topic: string, bytes: Uint8Array): void {
    try {
      if (topic === this.topics.reply) {
        this.rawReplies.push(bytes);
      } else if (topic === this.topics.log) {
        this.rawChunks.push(bytes);
      } else if (topic === this.topics.nonce) {
        const read = readUplink(bytes, this.key, this.panel, 'nonce');
        if ('forged' in read) this.io.err(`monitor: FORGED nonce ignored (${read.forged})`);
        else {
          const n = decodeNonceMessage(read.payload);
          if ('message' in n) this.nonce = n.message;
          else this.io.err(`monitor: an unreadable nonce: ${n.error}`);
        }
      } else if (topic === this.topics.status) {
        this.status = decodeStatus(bytes);
      } else if (topic === this.topics.state) {
        const read = readUplink(bytes, this.key, this.panel, 'state');
        if ('forged' in read) this.io.err(`monitor: FORGED state ignored (${read.forged})`);
        else this.zones = snapshotZoneNames(decodeState(read.payload));
      }
    } catch { /* a bad status or state only costs us names */ }
    for (const w of this.waiters.splice(0)) w();
  }

  /** The reply to `command` (bytes as sent, id), verified when we hold the key; throws `Forged`. */
  reply(command: Uint8Array, id: number): Reply | undefined {
    for (const raw of this.rawReplies) {
      if (isSealed(raw)) {
        const r = this.openSealed(raw, 'reply', command);
        if (r && 'reply' in r && r.reply.id === id) return r.reply;
        continue;
      }
      const decoded = decodeReply(peekUplink(raw));
      if (!('reply' in decoded) || decoded.reply.id !== id) continue; // another command's, or unreadable
      const read = readUplink(raw, this.key, this.panel, 'reply', command);
      if ('forged' in read) throw new Forged(`a reply to our command (id ${id}) that the panel did not send: ${read.forged}`);
      const r = decodeReply(read.payload);
      if (!('reply' in r)) continue;
      if (!read.verified && read.payload !== raw) this.unverified = true;
      return r.reply;
    }
    return undefined;
  }

  /**
   * Sealed mode: a reply or chunk opens only against the command it answers, so one that does not
   * is either another monitor's or forged; it is noted (`unopened`) and, if ours never comes,
   * reported FORGED at the deadline. Without the key nothing sealed can be read (`sealedUnread`).
   */
  private openSealed(raw: Uint8Array, kind: 'reply', command: Uint8Array): ReturnType<typeof decodeReply> | undefined;
  private openSealed(raw: Uint8Array, kind: 'log', command: Uint8Array): ReturnType<typeof decodeLogChunk> | undefined;
  private openSealed(raw: Uint8Array, kind: 'reply' | 'log', command: Uint8Array): unknown {
    if (!this.key) {
      this.sealedUnread = true;
      return undefined;
    }
    const read = readUplink(raw, this.key, this.panel, kind, command);
    if ('forged' in read) {
      this.unopened ??= read.forged;
      return undefined;
    }
    return kind === 'reply' ? decodeReply(read.payload) : decodeLogChunk(read.payload);
  }

  /** Why the first sealed reply or chunk that did not open against our command failed. */
  unopened: string | undefined;
  /** A sealed reply or chunk came and we hold no uplink key. */
  sealedUnread = false;

  /** The log chunks of `command` so far, verified when we hold the key; throws `Forged`. */
  chunks(command: Uint8Array, id: number): LogChunk[] {
    const out: LogChunk[] = [];
    for (const raw of this.rawChunks) {
      if (isSealed(raw)) {
        const c = this.openSealed(raw, 'log', command);
        if (c && 'chunk' in c && c.chunk.id === id) out.push(c.chunk);
        continue;
      }
      const c = decodeLogChunk(peekUplink(raw));
      if (!('chunk' in c) || c.chunk.id !== id) continue;
      const read = readUplink(raw, this.key, this.panel, 'log', command);
      if ('forged' in read) throw new Forged(`log chunk ${c.chunk.index} of our export that the panel did not send: ${read.forged}`);
      out.push(c.chunk);
    }
    return out;
  }

  /** Resolves true when `done()` holds, false at `deadline` (ms since epoch). */
  async until(done: () => boolean, deadline: number): Promise<boolean> {
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return true;
  }
}

export async function command(name: string, argv: string[], io: Io): Promise<number> {
  const action = actions[name]!;
  const zoneArg = action === 'bypass' || action === 'unbypass';
  const { values, positionals } = parse(argv, {
    ...brokerOptions,
    panel: { type: 'string' }, keyfile: { type: 'string' }, user: { type: 'string' }, key: { type: 'string' },
    timeout: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' },
    out: { type: 'string' }, list: { type: 'boolean' }, names: { type: 'string' }, verify: { type: 'string' },
    uplink: { type: 'string' },
  }, zoneArg ? 1 : 0);
  if (values.help) { io.out(commandHelp(name)); return 0; }
  if (values.force && !action.startsWith('arm_')) throw usageError('--force only goes with arm, arm-home and arm-night');
  if (action !== 'log_export') {
    for (const o of ['out', 'list', 'names', 'verify'] as const) if (values[o] !== undefined) throw usageError(`--${o} only goes with log`);
  }
  const names = loadNames(values.names);
  if (action === 'log_export' && values.verify !== undefined) {
    for (const o of ['panel', 'keyfile', 'user', 'key', 'out'] as const) if (values[o] !== undefined) throw usageError(`--verify checks a file: --${o} is not needed`);
    return verifyExport(values.verify, { list: values.list === true, names: namer(names, '', undefined), json: values.json === true }, io);
  }
  const args: Command['args'] = {};
  if (zoneArg) {
    if (positionals.length === 0) throw usageError(`${name} needs the zone number: monitor ${name} ZONE --panel ID …`);
    args.zone = integer(positionals[0], 'ZONE', 1, 255);
  }
  if (action.startsWith('arm_')) args.force = values.force === true;
  const broker = brokerSettings(values);
  const panel = panelId(values.panel, false);
  const signer = loadSigner(values, io);
  const uplinkKeys = loadUplinkKeys(values.uplink);
  if (values.uplink !== undefined && !uplinkKeys.has(panel)) throw usageError(`the uplink key file has no key for panel ${panel}`);
  const uplinkKey = uplinkKeys.get(panel);
  const timeoutMs = values.timeout === undefined ? 10_000 : duration(values.timeout, '--timeout');

  const base = `${broker.prefix}/${panel}/`;
  const topics = { cmd: `${base}cmd`, reply: `${base}reply`, status: `${base}status`, state: `${base}state`, log: `${base}log`, nonce: `${base}nonce` };
  const { client, protocol } = await connect(broker, { timeoutMs, keepTrying: false, role: name });
  try {
    const link = new PanelLink(client, topics, io, panel, uplinkKey);
    const filters = [topics.reply, topics.status, topics.state, topics.nonce, ...(action === 'log_export' ? [topics.log] : [])];
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    if (granted.some((g) => g.qos >= 0x80)) throw new CliError(Exit.connection, `the broker refused the subscription to ${topics.reply}`);

    // The panel's nonce (retained): a panel whose clock is not set takes only commands that carry
    // it. It comes right after the subscription; a panel that publishes none has a clock to judge by.
    await link.until(() => link.nonce !== undefined, Date.now() + Math.min(NONCE_WAIT_MS, timeoutMs));
    const now = Date.now();
    const cmd: Command = { id: randomInt(1, 0xffffffff), action, args, counter: nextCounter(now), time: Math.floor(now / 1000) };
    if (link.nonce) cmd.nonce = link.nonce.nonce;
    const bytes = signCommand(cmd, signer.user, signer.key);
    // MQTT 5: the broker drops the command if the panel has not taken it by the time we give up,
    // so a panel that comes back later does not act on a command nobody waits for any more.
    const expiry = Math.max(1, Math.ceil(timeoutMs / 1000));
    await client.publishAsync(topics.cmd, Buffer.from(bytes), { qos: 1, retain: false, ...(protocol === 5 ? { properties: { messageExpiryInterval: expiry, contentType: 'application/cose; cose-type="cose-mac0"' } } : {}) });

    let found: Reply | undefined;
    try {
      if (!(await link.until(() => (found = link.reply(bytes, cmd.id)) !== undefined, now + timeoutMs))) {
        if (link.unopened !== undefined) throw new Forged(`no reply to our command (id ${cmd.id}) opened, but a sealed one that does not (${link.unopened}) came: forged, or another monitor's`);
        const offline = link.status === 'offline' ? ` The panel is offline (its status says so).` : '';
        if (link.sealedUnread) throw new CliError(Exit.timeout, `panel ${panel} is in sealed mode: its reply can be read only with its uplink key (--uplink FILE).`);
        throw new CliError(Exit.timeout, `no reply from panel ${panel} within ${timeoutMs / 1000} s.${offline}`);
      }
    } catch (err) {
      if (!(err instanceof Forged)) throw err;
      return forged(io, values.json === true, panel, action, err.message);
    }
    const reply: Reply = found!;
    if (link.unverified) io.err('monitor: the reply is not verified (the panel authenticates its uplink; give --uplink FILE to check it)');
    const zoneNames = namer(names, panel, link.zones);
    if (!reply.ok) {
      report(io, values.json === true, panel, action, reply, zoneNames);
      return Exit.refused;
    }
    if (action !== 'log_export') {
      report(io, values.json === true, panel, action, reply, zoneNames);
      return Exit.ok;
    }
    return await fetchLog(link, bytes, cmd.id, reply, { panel, out: values.out, timeoutMs, list: values.list === true, json: values.json === true, names: zoneNames }, io);
  } finally {
    await close(client);
  }
}

/** A forgery: said on stdout (FORGED …), exit 6. Nothing the broker said about the panel can be trusted. */
function forged(io: Io, json: boolean, panel: string, action: CommandAction, what: string): number {
  if (json) io.out(JSON.stringify({ panel, action, forged: true, detail: what }));
  else io.out(`FORGED: ${actionWords(action)}: ${what}. The panel's state is unknown; the broker is lying.`);
  return Exit.forged;
}

function report(io: Io, json: boolean, panel: string, action: CommandAction, reply: Reply, names: Namer): void {
  if (json) return io.out(JSON.stringify({ panel, action, ...reply }));
  if (reply.ok) {
    const extra = reply.chunks !== undefined ? `, ${reply.chunks} log chunk${reply.chunks === 1 ? '' : 's'} follow` : '';
    return io.out(`Accepted: ${actionWords(action)}. Panel ${panel} is ${reply.state ?? 'in an unknown state'}${extra}.`);
  }
  const zones = reply.zones && reply.zones.length > 0 ? ` (${zonesText(reply.zones, names)})` : '';
  const detail = reply.detail ? `: ${reply.detail}` : '';
  io.out(`Refused: ${actionWords(action)}: ${reply.reason}${zones}${detail}.${reply.state ? ` Panel ${panel} is ${reply.state}.` : ''}`);
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

async function fetchLog(link: PanelLink, command: Uint8Array, id: number, reply: Reply,
  o: { panel: string; out?: string; timeoutMs: number; list: boolean; json: boolean; names: Namer }, io: Io): Promise<number> {
  const count = reply.chunks;
  if (count === undefined) throw new CliError(Exit.refused, 'the panel accepted log_export but did not say how many chunks follow');
  let chunks: LogChunk[] = [];
  const mine = () => new Set((chunks = link.chunks(command, id)).map((c) => c.index)).size;
  try {
    if (!(await link.until(() => mine() >= count, Date.now() + o.timeoutMs))) {
      if (link.unopened !== undefined) throw new Forged(`only ${mine()} of ${count} log chunks opened; a sealed one that does not (${link.unopened}) came: forged, or another monitor's`);
      throw new CliError(Exit.timeout, `only ${mine()} of ${count} log chunks arrived within ${o.timeoutMs / 1000} s`);
    }
  } catch (err) {
    if (!(err instanceof Forged)) throw err;
    return forged(io, o.json, o.panel, 'log_export', err.message);
  }
  const joined = joinLogChunks(chunks);
  if ('error' in joined) throw new CliError(Exit.broken, `the log chunks do not join: ${joined.error}`);
  const file = o.out ?? `log-${o.panel}-${stamp(new Date())}.bin`;
  try {
    writeFileSync(file, joined.bytes);
  } catch (err) {
    throw usageError(`cannot write ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!o.json) io.out(`Wrote ${joined.bytes.length} bytes (${count} chunk${count === 1 ? '' : 's'}) from panel ${o.panel} to ${file}.`);
  return verifyExport(file, { list: o.list, names: o.names, json: o.json, bytes: joined.bytes }, io);
}
