// What the uplink's command handlers (remote-commands.ts, ha-bridge.ts) may do with the panel:
// put one core input in, read what the panel shows, and send through the uplink. The panel
// hands them this port; they never reach its state, drivers or journal otherwise.
import type { Input, Result, Snapshot } from '../core/machine';
import type { Clock } from '../core/clock';
import type { PanelConfig } from '../config';
import type { LogTally } from '../tally';
import type { UplinkKind } from './uplink-auth';

/** The uplink as the handlers use it (the session's API, or its successor's). */
export interface UplinkOut {
  publish(topic: string, bytes: Uint8Array, options: { retain: boolean; qos: 0 | 1; contentType?: string }): boolean;
  reply(bytes: Uint8Array): void;
  canQueue(count: number, bytes: number): boolean;
  maxPayload(topic: string): number;
}

/** Named records on flash that survive a power cut (the journal's state store). */
export interface StateNames {
  load(name: string): { bytes: Uint8Array | undefined; problems: string[] };
  save(name: string, bytes: Uint8Array): number;
}

export interface PanelPort {
  /** One input through the core, its effects carried out (the siren first). */
  input(input: Input): Result | undefined;
  snapshot(): Snapshot;
  /** The config in use (its `alarm` part is the core's settings). */
  config(): PanelConfig;
  /** The whole log with its hash chain. */
  exportLog(): Uint8Array;
  /** The uplink, when there is one. */
  uplink(): UplinkOut | undefined;
  /** `bytes` as they go out under the panel's uplink key (uplink-auth.ts), or as they are. */
  seal(kind: UplinkKind, bytes: Uint8Array, command?: Uint8Array): Uint8Array;
  readonly clock: Clock;
  readonly state: StateNames;
  readonly tally: LogTally;
  randomBytes(n: number): Uint8Array;
  log(line: string): void;
  /** Something is waiting for the next `service()`. */
  wake(): void;
}

/**
 * Commands from the broker waiting for `service()`, at most (each queue: signed commands, Home
 * Assistant's); more are dropped and counted. A broker can send any number: the panel must not
 * queue them without bound, nor spend a whole `service()` on them (each signed one is an HMAC).
 */
export const MAX_QUEUED_COMMANDS = 16;
/** Commands of each queue handled per `service()`; the rest wait for the next one. */
export const COMMANDS_PER_SERVICE = 4;

/** A bounded queue of commands from the broker; what does not fit is dropped and counted. */
export class CommandQueue {
  private readonly items: Uint8Array[] = [];
  /** Dropped since boot because the queue was full. */
  dropped = 0;

  /** `what`: the commands' name in log lines ("commands", "Home Assistant commands"). */
  constructor(private readonly what: string, private readonly port: Pick<PanelPort, 'tally' | 'wake'>) {}

  push(bytes: Uint8Array): void {
    if (this.items.length >= MAX_QUEUED_COMMANDS) {
      this.dropped++;
      this.port.tally.note(`${this.what} dropped (queue full)`, `${this.what}: one dropped, ${MAX_QUEUED_COMMANDS} already waiting`);
      return;
    }
    this.items.push(bytes);
    this.port.wake();
  }

  get length(): number {
    return this.items.length;
  }

  /** Runs `handle` on the oldest few (COMMANDS_PER_SERVICE): the alarm path never waits behind a flood. */
  run(handle: (bytes: Uint8Array) => void): void {
    for (let n = 0; n < COMMANDS_PER_SERVICE && this.items.length > 0; n++) handle(this.items.shift()!);
  }
}
