// An exported event log, checked: every entry must follow the one before in the hash chain
// (src/store/event-log.ts verifyChain). Whether it came by command or from the portal.
import { parseExport, verifyChain } from '../../src/store/event-log.ts';
import { decodeEvent } from '../../src/uplink/payloads.ts';
import { Exit, readBytes, type Io } from './cli.ts';
import { eventText, localTime, type Namer } from './describe.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function verifyExport(file: string, o: { list: boolean; names: Namer; json: boolean; bytes?: Uint8Array }, io: Io): number {
  const bytes = o.bytes ?? readBytes(file, 'log export');
  const parsed = parseExport(bytes);
  if (o.list && parsed) {
    for (const entry of parsed.entries) {
      let time: string;
      let text: string;
      try {
        const e = decodeEvent(entry.bytes);
        time = localTime(e.time);
        text = eventText(e, o.names);
      } catch (err) {
        time = '';
        text = `(unreadable event: ${(err as Error).message})`;
      }
      io.out(o.json ? JSON.stringify({ type: 'entry', seq: entry.seq, localTime: time, text }) : `${time.padEnd(19)}  #${entry.seq}  ${text}`);
    }
  }
  const check = verifyChain(bytes);
  if (check.ok) {
    if (o.json) io.out(JSON.stringify({ type: 'chain', file, ok: true, count: check.count, firstSeq: check.firstSeq, lastSeq: check.lastSeq, head: hex(check.head) }));
    else io.out(`Chain intact: ${check.count} events, seq ${check.firstSeq}-${check.lastSeq}, head ${hex(check.head)}.`);
    return Exit.ok;
  }
  const seq = parsed?.entries[check.index]?.seq;
  const at = `entry ${check.index}${seq !== undefined ? ` (seq ${seq})` : ''}`;
  if (o.json) io.out(JSON.stringify({ type: 'chain', file, ok: false, index: check.index, seq, reason: check.reason }));
  else io.out(`Chain BROKEN at ${at}: ${check.reason}. Entries from there on cannot be trusted.`);
  return Exit.broken;
}
