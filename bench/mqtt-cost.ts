// Benchmark (a report, not a test): an event PUBLISH through mqtt-packet inside real XS, and its
// pieces, with the firmware's Buffer (tools/shims/buffer.ts) and with the `buffer` package it
// replaced, so that the report shows where the cost was and where it went.
//
//   node --import tsx bench/mqtt-cost.ts        (prints JSON)
import { fileURLToPath } from 'node:url';
import { bundle } from '../tools/build.ts';
import { cost, newWorker } from './xs.ts';

export const mqttProbes = [
  'generate5', 'encode5', 'stream5', 'generate4', 'encode4', 'generateConnect', 'encodeConnect', 'generateSubscribe', 'encodeSubscribe',
  'byteLength', 'write', 'fromArray', 'fromView', 'allocUnsafe', 'writeUInt8', 'copy', 'uint8Array', 'withPrototype', 'derived',
] as const;
export type MqttProbe = (typeof mqttProbes)[number];

export async function mqttCostBench(): Promise<{ lean: Record<MqttProbe, number>; package: Record<MqttProbe, number> }> {
  const builds = {
    lean: (await bundle({ entry: 'bench/mqtt-cost-harness.ts', format: 'iife' })).code,
    package: (await bundle({ entry: 'bench/mqtt-cost-harness.ts', format: 'iife', bufferPackage: true })).code,
  };
  const out = {} as Record<keyof typeof builds, Record<MqttProbe, number>>;
  for (const [name, code] of Object.entries(builds) as Array<[keyof typeof builds, string]>) {
    const worker = await newWorker(`mqtt-${name}`);
    try {
      await worker.evaluate(code);
      const row = {} as Record<MqttProbe, number>;
      for (const p of mqttProbes) {
        await worker.evaluate(`bench.${p}()`); // the first call makes what is made once (caches, the scratch)
        row[p] = await cost(worker, `${p}()`);
      }
      out[name] = row;
    } finally {
      await worker.close();
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await mqttCostBench(), null, 2));
  process.exit(0);
}
