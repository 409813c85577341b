// Measuring inside real XS: an xsnap-worker (from @agoric/xsnap) driven from Node.
//
// The worker meters every `evaluate`: `compute` is XS's deterministic count of work
// ("computrons"), `currentHeapCount` the heap slots in use. Machine noise moves neither,
// so the figures here are exact and repeatable.
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { XsnapWorker } from '@agoric/xsnap';

export type Worker = XsnapWorker;

let xsnapModule: typeof import('@agoric/xsnap') | undefined;

/**
 * A fresh XS realm. @agoric/xsnap needs SES (`@endo/init`), which locks the realm down:
 * build every bundle with esbuild *before* the first worker starts.
 */
export async function newWorker(name: string, options: { handleCommand?: (request: Uint8Array) => Promise<Uint8Array> } = {}): Promise<Worker> {
  if (!xsnapModule) {
    await import('@endo/init/debug.js');
    xsnapModule = await import('@agoric/xsnap');
  }
  // No metering limit: a long drive (1,000 events) in one call is more than the default 10^8.
  return xsnapModule.xsnap({ name, os: os.type(), spawn, fs: { ...fs, ...fs.promises }, stderr: 'inherit', stdout: 'inherit', meteringLimit: 0, ...options });
}

export interface Metered { compute: number; heap: number }

export async function measure(worker: Worker, code: string): Promise<Metered> {
  const { meterUsage } = await worker.evaluate(code);
  return { compute: meterUsage.compute ?? NaN, heap: meterUsage.currentHeapCount ?? NaN };
}

/**
 * Computrons of `bench.<call>` minus those of the same call text made to `bench.noop`, so the
 * cost of parsing and dispatching the call is not counted. `call` looks like `edge(103, 1)`.
 */
export async function cost(worker: Worker, call: string): Promise<number> {
  const noop = call.replace(/^\w+\(/, 'noop(');
  const base = await measure(worker, `bench.${noop}`);
  const real = await measure(worker, `bench.${call}`);
  return real.compute - base.compute;
}

/** Heap slots in use right after a full gc. */
export const heapAfterGc = async (worker: Worker): Promise<number> => (await measure(worker, 'gc()')).heap;

/**
 * Asks the harness for a value: the worker's `handleCommand(bytes)` global (see the end of
 * bench/xs-panel-harness.ts) gets `request` and replies with JSON.
 */
export async function ask<T>(worker: Worker, request: string): Promise<T> {
  const { reply } = await worker.issueStringCommand(request);
  return JSON.parse(reply) as T;
}

/**
 * The Node side of the bench's `crypt` (bench/shims/crypt.ts): answers the worker's `issueCommand`
 * requests with node:crypto: SHA-256 for the Digest, one digest state per id, as the native Digest
 * keeps its own; ChaCha20 for the StreamCipher. Pass it as `newWorker(name, { handleCommand: cryptHost() })`.
 */
export function cryptHost(): (request: Uint8Array) => Promise<Uint8Array> {
  const digests = new Map<number, Hash>();
  const none = new Uint8Array(0);
  return async (request) => {
    const op = request[0];
    const id = (request[1] | (request[2] << 8) | (request[3] << 16)) + request[4] * 0x1000000;
    if (op === 1 || op === 4) { digests.set(id, createHash('sha256')); return none; } // new, reset
    if (op === 2) {
      const hash = digests.get(id);
      if (!hash) throw new Error(`bench Digest ${id}: write after close without reset`);
      hash.update(request.subarray(5));
      return none;
    }
    if (op === 3) {
      const hash = digests.get(id);
      if (!hash) throw new Error(`bench Digest ${id}: close twice without reset`);
      digests.delete(id);
      return new Uint8Array(hash.digest());
    }
    if (op === 5) return chachaReply(request.subarray(5));
    throw new Error(`bench crypt: unknown request ${op}`);
  };
}

/**
 * ChaCha20 (RFC 8439) for the bench's StreamCipher: key (32), nonce (12), block counter (u32 LE), then the data.
 * A function of its own: written inline in the async handler above, it crashed Node 20 in V8 later in the run.
 */
function chachaReply(body: Uint8Array): Uint8Array {
  const iv = Buffer.concat([body.subarray(44, 48), body.subarray(32, 44)]); // OpenSSL's: counter (LE) ‖ nonce
  const cipher = createCipheriv('chacha20', body.subarray(0, 32), iv);
  return new Uint8Array(Buffer.concat([cipher.update(body.subarray(48)), cipher.final()]));
}
