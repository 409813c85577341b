// A flash that littlefs formatted under the panel (Moddable's littlefs formats the partition
// when a mount fails, and says nothing): the panel must say so, on the console and in its
// log, never carry on as if it were new. hosts/esp32/first-boot.ts checkFlash, then whole
// boots on the virtual ESP32 (XS and Node) with littlefs wiped between two of them.
import test from 'ava';
import { checkFlash, type Witness } from '../../hosts/esp32/first-boot.ts';
import { EventLog } from '../../src/store/event-log.ts';
import { decodeEvent } from '../../src/uplink/payloads.ts';
import type { Storage } from '../../src/store/storage.ts';
import { bundleEsp32, bootAlike, type Boot, type Inputs } from './run.ts';

function memory(files = new Map<string, Uint8Array>()): Storage & { files: Map<string, Uint8Array> } {
  return {
    files,
    read: (n) => files.get(n) ?? new Uint8Array(0),
    append: (n, b) => { files.set(n, Uint8Array.from([...(files.get(n) ?? []), ...b])); },
    replace: (n, b) => { files.set(n, b.slice()); },
    remove: (n) => { files.delete(n); },
    size: (n) => files.get(n)?.length ?? 0,
  };
}
const nvs = (): Witness & { id?: string } => {
  const w: Witness & { id?: string } = { read: () => w.id, write: (id) => { w.id = id; } };
  return w;
};
let n = 0;
const random = (k: number) => Uint8Array.from({ length: k }, () => ++n & 0xff);

test('checkFlash: new, then the same; littlefs emptied while NVS kept its id is a wipe, said loudly', (t) => {
  const flash = memory();
  const witness = nvs();
  const lines: string[] = [];
  t.is(checkFlash(flash, witness, random, (l) => lines.push(l)), 'new');
  t.is(checkFlash(flash, witness, random, (l) => lines.push(l)), 'same');
  t.deepEqual(lines, []);
  flash.files.clear(); // littlefs formatted
  t.is(checkFlash(flash, witness, random, (l) => lines.push(l)), 'wiped');
  t.regex(lines[0], /^FLASH WIPED: littlefs formatted its partition/);
  t.is(checkFlash(flash, witness, random, () => t.fail('no second alarm')), 'same', 'said once: the new flash is known from then on');
});

test('checkFlash: no false alarm for a panel from before the check, a cut between the two writes, or an erased NVS', (t) => {
  const old = memory(new Map([['config.a', Uint8Array.of(1)]])); // config, no flash id: an older firmware's flash
  t.is(checkFlash(old, nvs(), random, () => t.fail('not a wipe')), 'new');

  const cut = memory();
  const witness = nvs();
  const failing: Witness = { read: witness.read, write: () => { throw new Error('power cut'); } };
  t.throws(() => checkFlash(cut, failing, random, () => {}), { message: 'power cut' }); // the file written, NVS not
  t.is(checkFlash(cut, witness, random, () => t.fail('not a wipe')), 'same');

  const erasedNvs = memory();
  checkFlash(erasedNvs, nvs(), random, () => {});
  t.is(checkFlash(erasedNvs, nvs(), random, () => t.fail('not a wipe')), 'same');
});

const code = bundleEsp32();
const run = (t: { deepEqual(a: unknown, b: unknown, m?: string): void }, inputs: Inputs): Promise<Boot> => bootAlike(t, code, inputs);
const base = { config: { sirenPin: 25 }, mac: 'A4:D1:8C:DB:C0:20', pins: { 32: 0, 33: 0, 27: 0 }, script: 'look around' } as const;

/** The event codes in the log on a boot's flash. */
function loggedCodes(flash: Record<string, string>): number[] {
  const files = new Map(Object.entries(flash).filter(([p]) => p.startsWith('/littlefs/')).map(([p, h]) => [p.slice('/littlefs/'.length), Uint8Array.from(Buffer.from(h, 'hex'))]));
  const { log } = EventLog.open(memory(files));
  return log.entries().map((e) => decodeEvent(e.bytes).code);
}

test('boot after littlefs formatted itself: FLASH WIPED on the console, new codes, a 306 in the log; the next boot is quiet', async (t) => {
  const first = await run(t, { ...base });
  t.false(first.serial.some((l) => l.startsWith('FLASH WIPED')));
  t.true(Object.keys(first.flash).some((p) => p.startsWith('nvs:')), 'the witness is in NVS');

  const wiped = Object.fromEntries(Object.entries(first.flash).filter(([p]) => !p.startsWith('/littlefs/'))); // NVS survives the format
  const second = await run(t, { ...base, files: wiped });
  t.true(second.serial.some((l) => l.startsWith('FLASH WIPED: littlefs formatted its partition (a mount error)')), second.serial.join('\n'));
  t.true(second.serial.some((l) => l.startsWith('first boot of panel dbc020')), 'a new config, its codes printed');
  t.true(loggedCodes(second.flash).includes(306), `a configuration change logged: ${loggedCodes(second.flash)}`);

  const third = await run(t, { ...base, files: second.flash });
  t.false(third.serial.some((l) => l.startsWith('FLASH WIPED')), third.serial.join('\n'));
  t.false(loggedCodes(third.flash).filter((c) => c === 306).length > 1);
});
