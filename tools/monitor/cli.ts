// What every monitor command shares: exit codes, errors meant for people, argument parsing
// (node:util parseArgs), durations, and the broker options.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';

export const Exit = {
  ok: 0,
  /** The broker could not be reached, refused us, or dropped us. */
  connection: 1,
  /** Bad arguments or input files: nothing was sent. */
  usage: 2,
  /** The panel refused the command (the reason is printed). */
  refused: 3,
  /** No reply (or not every log chunk) within --timeout. */
  timeout: 4,
  /** An exported log whose hash chain is broken. */
  broken: 5,
  /** A reply or log chunk the panel did not send (its uplink MAC fails): the broker lied. */
  forged: 6,
} as const;

/** An error for the person at the terminal: printed as one line, no stack, with its exit code. */
export class CliError extends Error {
  constructor(readonly exit: number, message: string) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(Exit.usage, message);

/** Where the output goes (a test can collect it instead of a terminal). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly; unknown options and missing values are usage errors. */
export function parse<O extends Options>(argv: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
    return parsed;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw usageError(String((err as Error).message).split('. ')[0]);
  }
}

/** "25h", "90s", "1500ms", "2m", or plain seconds → milliseconds. */
export function duration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw usageError(`${option} needs a duration such as 10s, 500ms, 2m or 25h, got ${JSON.stringify(text)}`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const n = Number(m[1]) * unit[m[2] ?? 's']!;
  if (!(n > 0) || n > 2_147_483_647) throw usageError(`${option} must be more than 0 and less than 24 days`);
  return Math.round(n);
}

/** A whole number in [min, max]. */
export function integer(text: string | undefined, option: string, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw usageError(`${option} needs a number from ${min} to ${max}, got ${JSON.stringify(text ?? '')}`);
  }
  return Number(text);
}

/** A text file the user named; a missing or unreadable one is a usage error naming it. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read the ${what} ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function readBytes(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw usageError(`cannot read the ${what} ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The options every command that talks to the broker takes. */
export const brokerOptions = {
  broker: { type: 'string' },
  prefix: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  ca: { type: 'string' },
} as const satisfies Options;

export const brokerHelp = `Broker options:
  --broker URL      mqtt://host:1883 or mqtts://host:8883 (default mqtt://localhost:1883)
  --prefix P        the panels' topic prefix (default alarm)
  --username U      broker user name; the password comes from --password or MONITOR_PASSWORD
  --password P      broker password (visible to other users of this machine: prefer MONITOR_PASSWORD)
  --ca FILE         PEM of the CA that signed the broker's certificate (mqtts)`;

export interface BrokerSettings {
  url: string;
  prefix: string;
  username?: string;
  password?: string;
  ca?: string;
}

const topicLevel = /^[A-Za-z0-9_-]{1,32}$/;

export function brokerSettings(values: Partial<Record<keyof typeof brokerOptions, string | boolean | undefined>>): BrokerSettings {
  const url = (values.broker as string | undefined) ?? 'mqtt://localhost:1883';
  if (!/^mqtts?:\/\/[^/\s]+\/?$/.test(url)) throw usageError(`--broker must look like mqtt://host:1883 or mqtts://host:8883, got ${JSON.stringify(url)}`);
  const prefix = (values.prefix as string | undefined) ?? 'alarm';
  if (!topicLevel.test(prefix)) throw usageError(`--prefix must be 1-32 letters, digits, - or _, got ${JSON.stringify(prefix)}`);
  const username = values.username as string | undefined;
  const password = (values.password as string | undefined) ?? (username !== undefined ? process.env.MONITOR_PASSWORD : undefined);
  if (password !== undefined && username === undefined) throw usageError('--password needs --username');
  const ca = values.ca === undefined ? undefined : readText(values.ca as string, 'CA file');
  return { url, prefix, username, password, ca };
}

/** A panel id as topics carry it; `wildcard` also allows "+" (every panel). */
export function panelId(value: string | undefined, wildcard: boolean): string {
  if (value === undefined) {
    if (wildcard) return '+';
    throw usageError('--panel ID is required (the panel id in its topics, e.g. alarm/ID/event)');
  }
  if (wildcard && value === '+') return value;
  if (!topicLevel.test(value)) throw usageError(`--panel must be a panel id (1-32 letters, digits, - or _)${wildcard ? ' or +' : ''}, got ${JSON.stringify(value)}`);
  return value;
}
