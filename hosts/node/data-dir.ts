// The Node host's data directory: what an ESP32 keeps in flash, and what its installer
// keeps on paper.
//
//   DIR/flash/          the panel's storage (config, journal: event log, outbox, state)
//   DIR/FIRST-BOOT.txt  the codes made up at first boot (owner-only)
//   DIR/LOCK            the pid of the process running on it (one panel per directory)
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { firstBootConfig, validateConfig, type FirstBoot, type PanelConfig } from '../../src/config.ts';
import { loadConfig, saveConfig } from '../../src/app.ts';
import { StateStore } from '../../src/store/state.ts';
import type { Storage } from '../../src/store/storage.ts';

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

export type Loaded =
  | { ok: true; config: PanelConfig; firstBoot?: FirstBoot; problems: string[] }
  | { ok: false; errors: string[] };

/**
 * The saved config, or on a first boot a new one (panel id `sim-<8 hex>`, codes made up),
 * saved with its codes written to FIRST-BOOT.txt first. A saved config that does not
 * validate is reported and left as it is: the panel does not start on a guess.
 */
export function loadOrCreateConfig(dir: string, storage: Storage, randomBytes: (n: number) => Uint8Array, pins?: PanelConfig['pins']): Loaded {
  const { raw, problems } = loadConfig(storage);
  if (raw !== undefined) {
    const checked = validateConfig(raw);
    if (!checked.ok) return { ok: false, errors: [...problems, ...checked.errors.map((e) => `${e.field || 'config'}: ${e.message}`)] };
    return { ok: true, config: checked.config, problems };
  }
  if (problems.length > 0) return { ok: false, errors: problems }; // a config was there but is unreadable
  const id = `sim-${Array.from(randomBytes(4), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const first = firstBootConfig(id, randomBytes, pins); // the board's default pins
  writeFirstBootFile(dir, first); // before the config: a crash in between makes new codes next time
  saveConfig(new StateStore(storage), first.config);
  return { ok: true, config: first.config, firstBoot: first, problems };
}

/** The codes, owner-only (0600), written whole or not at all. */
function writeFirstBootFile(dir: string, first: FirstBoot): void {
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
