// The part of @agoric/xsnap's API (it ships no types) that the benchmarks use.
declare module '@agoric/xsnap' {
  export interface MeterUsage { compute: number | null; allocate: number | null; currentHeapCount: number | null }
  export interface XsnapWorker {
    evaluate(code: string): Promise<{ reply: Uint8Array; meterUsage: MeterUsage }>;
    issueStringCommand(message: string): Promise<{ reply: string; meterUsage: MeterUsage }>;
    close(): Promise<void>;
  }
  export function xsnap(options: {
    name?: string;
    os: string;
    spawn: typeof import('node:child_process').spawn;
    fs: object;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    meteringLimit?: number;
    /** Answers the worker's `issueCommand(bytes)`. */
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
  }): Promise<XsnapWorker>;
}
