// The Node host's file storage, really on disk: the Storage contract, torn files, and a
// process killed with SIGKILL in the middle of recording.
import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStorage } from '../../hosts/node/file-storage.ts';
import { Journal } from '../../src/store/journal.ts';
import { verifyChain } from '../../src/store/event-log.ts';
import { readRecords } from '../../src/store/record.ts';
import { eventBytes, range } from './support/events.ts';
import { writerOptions } from './support/journal-writer.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'journal-'));

test('the Storage contract, on disk', (t) => {
  const dir = tempDir();
  const st = new FileStorage(dir);
  t.deepEqual(st.read('a'), new Uint8Array(0));
  t.is(st.size('a'), 0);
  st.append('a', new Uint8Array([1, 2]));
  st.append('a', new Uint8Array([3]));
  t.deepEqual([...st.read('a')], [1, 2, 3]);
  t.is(st.size('a'), 3);
  st.replace('a', new Uint8Array([9]));
  t.deepEqual([...st.read('a')], [9]);
  st.replace('b', new Uint8Array([7, 7]));
  t.deepEqual(readdirSync(dir).sort(), ['a', 'b'], 'no temporary file is left behind');
  st.remove('a');
  st.remove('a');
  t.is(st.size('a'), 0);
  for (const bad of ['../x', 'a/b', '', '.hidden', 'x.tmp']) t.throws(() => st.read(bad), { message: /bad file name/ }, bad);
});

test('a journal on disk survives a reopen', (t) => {
  const dir = tempDir();
  const { journal } = Journal.open(new FileStorage(dir), writerOptions);
  for (const s of range(1, 60)) journal.record(s, eventBytes(s), false);
  for (const s of range(1, 55)) journal.outbox.ack(s);
  const { journal: again, report } = Journal.open(new FileStorage(dir), writerOptions);
  t.like(report, { bytesCut: 0, requeued: 0, problems: [] });
  t.is(again.lastSeq(), 60);
  t.deepEqual(again.outbox.peek(10).map((e) => e.seq), range(56, 60));
  t.like(verifyChain(again.log.export()), { ok: true, lastSeq: 60 });
});

test('a file torn on disk (truncated mid-record, garbage appended) is cut back at boot', (t) => {
  const dir = tempDir();
  const { journal } = Journal.open(new FileStorage(dir), writerOptions);
  for (const s of range(1, 10)) journal.record(s, eventBytes(s), false);
  const seg = path.join(dir, 'log.0');
  const { records } = readRecords(new FileStorage(dir).read('log.0'));
  const last = records[records.length - 1];
  truncateSync(seg, last.start + 11); // seq 10's record, cut in its payload
  appendFileSync(path.join(dir, 'outbox.0'), Buffer.from([0x30, 0, 0, 0, 0x10, 1, 2])); // the outbox's segment
  const { journal: again, report } = Journal.open(new FileStorage(dir), writerOptions);
  t.is(report.bytesCut, 11 + 7);
  t.is(statSync(seg).size, last.start, 'the torn tail is gone from the file');
  t.is(again.log.lastSeq(), 9);
  t.like(verifyChain(again.log.export()), { ok: true, count: 9 });
  // Seq 10 reached the outbox before the tear: the outbox still holds it, and seq 11 follows.
  t.deepEqual(again.outbox.peek(100).map((e) => e.seq), range(1, 10));
  t.is(again.lastSeq(), 10);
  again.record(11, eventBytes(11), false);
  t.is(Journal.open(new FileStorage(dir), writerOptions).journal.log.lastSeq(), 11);
});

interface Run { lines: string[]; code: number | null; signal: NodeJS.Signals | null }

/** Runs the writer until it has printed `kill` records, then SIGKILLs it. */
function writeThenKill(dir: string, kill: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'support/journal-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let recorded = 0;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`writer stalled after ${recorded} records: ${stderr}`)); }, 60_000);
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => {
      const text = partial + d;
      const parts = text.split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('recorded') && ++recorded === kill) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ lines, code, signal }); });
  });
}

test('killed with SIGKILL while recording, three times over: every recorded event is there', async (t) => {
  const dir = tempDir();
  let lastPrinted = 0;
  for (const kill of [150, 333, 271]) {
    const run = await writeThenKill(dir, kill);
    t.is(run.signal, 'SIGKILL');
    const opened = JSON.parse(run.lines[0].replace(/^open /, ''));
    t.true(opened.lastSeq >= lastPrinted, `the writer went on from ${opened.lastSeq}, after every event printed before (${lastPrinted})`);
    const printed = run.lines.filter((l) => l.startsWith('recorded')).map((l) => Number(l.split(' ')[1]));
    t.true(printed.length >= kill);
    lastPrinted = printed[printed.length - 1];

    const { journal, report } = Journal.open(new FileStorage(dir), writerOptions);
    t.log(`killed after ${printed.length} records: ${JSON.stringify({ lastSeq: journal.lastSeq(), bytesCut: report.bytesCut, requeued: report.requeued, segments: report.segments })}`);
    const seqs = journal.log.entries().map((e) => e.seq);
    t.true(journal.log.lastSeq() >= lastPrinted, 'nothing printed as recorded is missing');
    t.true(journal.log.lastSeq() <= lastPrinted + 1, 'at most the event in flight is there besides');
    t.true(seqs.length >= 50, 'the ring keeps its capacity');
    t.deepEqual(seqs, range(seqs[0], seqs[seqs.length - 1]), 'no gap, no seq used twice, across every crash');
    t.like(verifyChain(journal.log.export()), { ok: true });
    const waiting = journal.outbox.peek(100);
    const newest = waiting.find((e) => e.seq === lastPrinted);
    t.truthy(newest, 'the last recorded event was not acknowledged yet: it waits in the outbox');
    t.deepEqual([...newest!.payload], [...eventBytes(lastPrinted)]);
    t.true(waiting.every((e) => seqs.includes(e.seq)), 'the outbox holds only logged events');
    t.truthy(journal.state.load('core').bytes, 'the state blob reads back');
    t.deepEqual(journal.state.load('core').problems, []);
  }
});
