// The machine a report was measured on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { MOSQUITTO } from '../test/support/brokers.ts';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  xs: string;
  mosquitto: string;
  /** 1-minute load average when the report began: other work on the machine moves wall times. */
  load_average: number;
}

/** "XS 13.3.0", as `xsnap -v` prints it, read from the engine sources the worker was built from. */
function xsVersion(): string {
  const pkg = path.dirname(createRequire(import.meta.url).resolve('@agoric/xsnap/package.json'));
  const header = readFileSync(path.join(pkg, 'moddable/xs/sources/xsCommon.h'), 'utf8');
  const part = (name: string) => new RegExp(`#define XS_${name}_VERSION (\\d+)`).exec(header)?.[1] ?? '?';
  return `XS ${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
}

export function machine(): Machine {
  const cpus = os.cpus();
  // `mosquitto -h` prints its version on the first line (and exits 3).
  const mosquitto = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    xs: `${xsVersion()} (xsnap-worker of @agoric/xsnap ${createRequire(import.meta.url)('@agoric/xsnap/package.json').version})`,
    mosquitto,
    load_average: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
