// keygen: a new 256-bit key for a user who may send remote commands.
//
// The key goes to standard output and nowhere else (no log, no file, no standard error): the
// user keeps it in the tool that signs commands, and the installer enters it in the panel's
// portal. It never travels over MQTT.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { kidForUser, MAX_USER } from '../src/uplink/commands.ts';

const usage = `Usage: keygen --user N [--json]

Prints a new random 256-bit key for user N (1-${MAX_USER}) as base64url, with its kid:
the user number in decimal ASCII, which names the key in every signed command.

  --user N   the panel's user number the key belongs to
  --json     one JSON object {"user","kid","key"} instead of two lines
  --help     this text

Exit codes: 0 done, 2 bad arguments.`;

export function keygen(argv: string[]): { code: number; out: string; err: string } {
  if (argv.includes('--help') || argv.includes('-h')) return { code: 0, out: `${usage}\n`, err: '' };
  let user: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--user' || arg.startsWith('--user=')) {
      const value = arg === '--user' ? argv[++i] : arg.slice('--user='.length);
      if (value === undefined || !/^[1-9][0-9]{0,2}$/.test(value)) {
        return { code: 2, out: '', err: `keygen: --user needs a user number 1-${MAX_USER}, got ${JSON.stringify(value ?? '')}\n` };
      }
      user = Number(value);
    } else {
      return { code: 2, out: '', err: `keygen: unknown argument ${JSON.stringify(arg)} (see --help)\n` };
    }
  }
  if (user === undefined) return { code: 2, out: '', err: 'keygen: --user N is required (see --help)\n' };
  const kid = Buffer.from(kidForUser(user)).toString('latin1');
  const key = randomBytes(32).toString('base64url');
  const out = json ? `${JSON.stringify({ user, kid, key })}\n` : `kid ${kid}\nkey ${key}\n`;
  return { code: 0, out, err: '' };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { code, out, err } = keygen(process.argv.slice(2));
  process.stdout.write(out);
  process.stderr.write(err);
  process.exitCode = code;
}
