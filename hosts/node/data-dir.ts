// The Node host's data directory: what an ESP32 keeps in flash, and what its installer
// keeps on paper.
//
//   DIR/flash/          the panel's storage (config, journal: event log, outbox, state)
//   DIR/FIRST-BOOT.txt  the codes made up at first boot (owner-only)
//   DIR/LOCK            the pid of the process running on it (one panel per directory)
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { FirstBoot } from '../../src/config.ts';

export const flashDir = (dir: string) => path.join(dir, 'flash');
export const firstBootFile = (dir: string) => path.join(dir, 'FIRST-BOOT.txt');

/**
 * Claims the directory for this process; throws if another live process has it. A lock left
 * by a process that died (SIGKILL, power cut) is taken over. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 }); // flash and the first codes are in it
  chmodSync(dir, 0o700);
  const lock = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try { unlinkSync(lock); } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`${dir} is in use by another panel (pid ${pid}); stop it first, or give this one --data OTHER_DIR`);
      }
      unlinkSync(lock); // stale: its process is gone
    }
  }
  throw new Error(`cannot lock ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The codes of a first boot (src/boot.ts makes the config: panel id `sim-<8 hex>`), owner-only
 * (0600), written whole or not at all, before the config is saved: a crash in between makes
 * new codes next time.
 */
export function writeFirstBootFile(dir: string, first: FirstBoot): void {
  const master = first.config.alarm.users[0];
  const text = [
    `Open alarm panel ${first.config.panel.id}: codes made up at its first boot, ${new Date().toISOString()}`,
    '',
    `Installer code: ${first.installerCode}   (the portal's installer login)`,
    `Master code: ${first.masterCode}   (user ${master.number}, ${master.name}: arms, disarms, manages users)`,
    '',
    'They were shown once on the console and are kept here for you. Changing them in the portal',
    'does not update this file: delete it once they are noted somewhere safe.',
    '',
  ].join('\n');
  const file = firstBootFile(dir);
  const temp = `${file}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600); // whatever the umask
  renameSync(temp, file);
}

/** The master code from FIRST-BOOT.txt (for tests and scripts), or undefined. */
export function readMasterCode(dir: string): string | undefined {
  try {
    return /^Master code: (\d+)/m.exec(readFileSync(firstBootFile(dir), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
