// The journal: the event log, the outbox and the state blobs, opened together over one Storage.
//
// An event is recorded in the log first, then queued in the outbox. A power cut between the
// two leaves it logged but not queued; opening the journal finds such events (logged, newer
// than anything the outbox ever took) and queues them again, so none is lost to the uplink.
import type { Storage } from './storage';
import { EventLog, type EventLogOptions, type LogRecovery } from './event-log';
import { PersistentOutbox, OutboxFull, type OutboxOptions, type OutboxRecovery } from './outbox';
import { StateStore } from './state';

export interface JournalOptions {
  log?: EventLogOptions;
  outbox?: OutboxOptions;
}

export interface RecoveryReport {
  /** Events kept in the log plus entries waiting in the outbox. */
  recordsKept: number;
  /** Bytes of torn or unreadable data discarded. */
  bytesCut: number;
  /** Log segment files found. */
  segments: number;
  /** Logged events that had not reached the outbox, queued again now. */
  requeued: number;
  /** Seqs the outbox dropped while requeueing (it was full). */
  dropped: number[];
  problems: string[];
  log: LogRecovery;
  outbox: OutboxRecovery;
}

export class Journal {
  private constructor(
    readonly log: EventLog,
    readonly outbox: PersistentOutbox,
    readonly state: StateStore,
  ) {}

  /** Opens the three over `storage`, recovering each, and requeues logged events the outbox never took. */
  static open(storage: Storage, options: JournalOptions = {}): { journal: Journal; report: RecoveryReport } {
    const { log, report: logReport } = EventLog.open(storage, options.log);
    const { outbox, report: outboxReport } = PersistentOutbox.open(storage, options.outbox);
    const journal = new Journal(log, outbox, new StateStore(storage));
    const problems = [...logReport.problems, ...outboxReport.problems];
    let requeued = 0;
    const dropped: number[] = [];
    for (const e of log.entries(outbox.highestSeq() + 1)) {
      try {
        dropped.push(...outbox.push(e.seq, e.bytes, e.alarm).dropped);
        requeued++;
      } catch (err) {
        if (!(err instanceof OutboxFull)) throw err;
        problems.push(err.message);
        break;
      }
    }
    return {
      journal,
      report: {
        recordsKept: logReport.records + outboxReport.entries,
        bytesCut: logReport.bytesCut + outboxReport.bytesCut,
        segments: logReport.segments,
        requeued,
        dropped,
        problems,
        log: logReport,
        outbox: outboxReport,
      },
    };
  }

  /**
   * Records one event: logged (hash-chained), then queued for the broker. Returns once both are
   * in storage, with the seqs the outbox dropped to make room (the core reports those as 624).
   */
  record(seq: number, bytes: Uint8Array, alarm: boolean): { dropped: number[] } {
    this.log.append(seq, bytes, alarm);
    return this.outbox.push(seq, bytes, alarm);
  }

  /** The newest seq the journal holds: the next event's seq must be after it. */
  lastSeq(): number {
    return Math.max(this.log.lastSeq(), this.outbox.highestSeq());
  }
}
