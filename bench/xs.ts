// Measuring inside real XS: an xsnap-worker (from @agoric/xsnap) driven from Node.
//
// The worker meters every `evaluate`: `compute` is XS's deterministic count of work
// ("computrons"), `currentHeapCount` the heap slots in use. Machine noise moves neither,
// so the figures here are exact and repeatable.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { XsnapWorker } from '@agoric/xsnap';

export type Worker = XsnapWorker;

let xsnapModule: typeof import('@agoric/xsnap') | undefined;

/**
 * A fresh XS realm. @agoric/xsnap needs SES (`@endo/init`), which locks the realm down:
 * build every bundle with esbuild *before* the first worker starts.
 */
export async function newWorker(name: string): Promise<Worker> {
  if (!xsnapModule) {
    await import('@endo/init/debug.js');
    xsnapModule = await import('@agoric/xsnap');
  }
  // No metering limit: a long drive (1,000 events) in one call is more than the default 10^8.
  return xsnapModule.xsnap({ name, os: os.type(), spawn, fs: { ...fs, ...fs.promises }, stderr: 'inherit', stdout: 'inherit', meteringLimit: 0 });
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
