// monitor: the panels' events in words, and signed remote commands, from any machine that can
// reach the broker. Run as `node --import tsx tools/monitor.ts COMMAND [options]`.
//
// Mistakes (bad arguments, a missing file, a broker that cannot be reached) end with one line
// on stderr and an exit code, never a stack trace. A key is printed by keygen, and nowhere else.
import { fileURLToPath } from 'node:url';
import { CliError, Exit, stdio, type Io } from './monitor/cli.ts';
import { watch } from './monitor/watch.ts';
import { actions, command } from './monitor/command.ts';
import { keygen } from './keygen.ts';

export const help = `Usage: monitor COMMAND [options]     (monitor COMMAND --help for its options)

Watching:
  watch                 one line per event of the panels, de-duplicated; warns when a panel goes
                        offline or falls silent (--json, --share GROUP, --names FILE, --heartbeat)
Commands (signed with your key; each prints the panel's reply):
  arm | arm-home | arm-night [--force]
  disarm | silence | test
  bypass ZONE | unbypass ZONE
  log [--out FILE]      fetch the event log and verify its hash chain
  log --verify FILE     verify a log exported earlier (by command or from the portal)
Keys:
  keygen --user N       a new key for user N (enter it in the panel's portal; keep it secret)

Exit codes: 0 done / accepted, 1 broker unreachable, 2 bad arguments, 3 refused by the panel,
4 no reply in time, 5 broken hash chain.`;

/** Runs one command line; resolves to the exit code. `stopped` ends a watch (Ctrl-C). */
export async function main(argv: string[], io: Io = stdio, stopped: Promise<void> = new Promise(() => {})): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(help);
      return name === undefined ? Exit.usage : Exit.ok;
    }
    if (name === 'watch') return await watch(rest, io, stopped);
    if (name === 'keygen') {
      const r = keygen(rest);
      if (r.out) io.out(r.out.replace(/\n$/, '').replace(/^Usage: keygen/, 'Usage: monitor keygen'));
      if (r.err) io.err(r.err.replace(/\n$/, '').replace(/^keygen:/, 'monitor keygen:'));
      return r.code;
    }
    if (Object.prototype.hasOwnProperty.call(actions, name)) return await command(name, rest, io);
    throw new CliError(Exit.usage, `unknown command ${JSON.stringify(name)} (see monitor --help)`);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`monitor${name && !name.startsWith('-') ? ` ${name}` : ''}: ${err.message}`);
      return err.exit;
    }
    // Our own bug, not the user's mistake: still one line, and the code for "something went wrong".
    io.err(`monitor: internal error: ${(err as Error)?.message ?? String(err)}`);
    return Exit.connection;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  main(process.argv.slice(2), stdio, stopped).then((code) => {
    process.exitCode = code;
    // Done: should a socket or timer of a library linger, it does not hold the exit for long.
    setTimeout(() => process.exit(code), 1000).unref();
  });
}
