// tools/keygen, run as a user would run it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { authenticateCommand, signCommand } from '../../src/uplink/commands.ts';
import { keygen } from '../../tools/keygen.ts';
import { arm, NOW } from './fixtures.ts';

const tool = fileURLToPath(new URL('../../tools/keygen.ts', import.meta.url));
const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', tool, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

test('keygen prints the kid and a fresh 256-bit base64url key, on stdout only', async (t) => {
  const [a, b] = await Promise.all([run('--user', '7'), run('--user=7')]);
  for (const r of [a, b]) {
    t.is(r.code, 0);
    t.regex(r.stdout, /^kid 7\nkey [A-Za-z0-9_-]{43}\n$/);
    t.is(r.stderr, '');
  }
  const keyA = a.stdout.split('\n')[1].slice(4);
  t.is(Buffer.from(keyA, 'base64url').length, 32);
  t.not(keyA, b.stdout.split('\n')[1].slice(4), 'a new key every time');
});

test('a key from keygen signs a command the panel accepts', async (t) => {
  const { user, kid, key } = JSON.parse((await run('--json', '--user', '12')).stdout) as { user: number; kid: string; key: string };
  t.is(user, 12);
  t.is(kid, '12');
  const bytes = new Uint8Array(Buffer.from(key, 'base64url'));
  const result = authenticateCommand(signCommand(arm(), user, bytes), { keyFor: (u) => (u === 12 ? bytes : undefined), lastCounter: () => 0, now: NOW });
  t.like(result, { ok: true, user: 12 });
});

test('keygen --help explains itself; bad arguments exit 2 with no key printed', async (t) => {
  const [help, bad] = await Promise.all([run('--help'), run('--user', 'ops')]);
  t.is(help.code, 0);
  t.regex(help.stdout, /Usage: keygen --user N/);
  t.is(bad.code, 2);
  t.is(bad.stdout, '');
  t.regex(bad.stderr, /^keygen: --user needs a user number 1-999, got "ops"/);
  for (const args of [[], ['--user'], ['--user', '0'], ['--user', '01'], ['--user', '1000'], ['--frobnicate']]) {
    const r = keygen(args);
    t.is(r.code, 2, args.join(' '));
    t.is(r.out, '', 'nothing on stdout');
    t.regex(r.err, /^keygen: /);
  }
});
