// Attack: secrets at rest in the simulator (issue 12, finding 5). Its flash files (remote keys
// and broker passwords in clear) were 0644: anyone on the machine could read them.
import test from 'ava';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../hosts/node/file-storage.ts';
import { lockDataDir } from '../../hosts/node/data-dir.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

test('flash files are 0600 and their directories 0700, whatever the umask; older readable files are closed up', (t) => {
  const old = process.umask(0o022);
  t.teardown(() => process.umask(old));
  const data = path.join(mkdtempSync(path.join(os.tmpdir(), 'flash-mode-')), 'data');
  const release = lockDataDir(data);
  t.teardown(release);
  t.is(mode(data), 0o700, 'the data directory');
  const dir = path.join(data, 'flash');
  const storage = new FileStorage(dir);
  t.is(mode(dir), 0o700, 'the flash directory');
  storage.append('log', Uint8Array.of(1, 2, 3));
  storage.replace('config', new TextEncoder().encode('{"remote":{"1":"secret"}}'));
  t.is(mode(path.join(dir, 'log')), 0o600);
  t.is(mode(path.join(dir, 'config')), 0o600);
  // A file left by an older version, readable by everyone:
  writeFileSync(path.join(dir, 'state'), 'x');
  chmodSync(path.join(dir, 'state'), 0o644);
  new FileStorage(dir);
  t.is(mode(path.join(dir, 'state')), 0o600);
});
