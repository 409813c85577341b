// The xs-panel bench's firmware hash build: hosts/moddable/src/hash.ts (the file the Moddable
// manifest maps `src/hash` to) over bench/shims/crypt.ts and hmac.ts, with SHA-256 answered by
// Node through xsnap's host call, gives src/hash.ts's (@noble/hashes) results, and the bundle
// really holds the Moddable file and no @noble code.
import test from 'ava';
import { bundle, repoRoot } from '../../tools/build.ts';
import { firmwareHash } from '../../bench/xs-panel.ts';
import { hashVectors, known } from '../../bench/hash-vectors.ts';
import { ask, digestHost, newWorker } from '../../bench/xs.ts';
import { hmacSha256, sha256 } from '../../src/hash.ts';

const entry = `
import { hmacSha256, sha256 } from './src/hash';
import { hashVectors } from './bench/hash-vectors';
const text = new TextEncoder();
globalThis.handleCommand = () => text.encode(JSON.stringify(hashVectors(sha256, hmacSha256))).buffer;
`;

test('the firmware src/hash over the host-call Digest gives src/hash.ts\'s results in XS', async (t) => {
  const built = await bundle({ stdin: { contents: entry, resolveDir: repoRoot }, modules: firmwareHash, metafile: true });
  const inputs = Object.keys(built.metafile!.inputs);
  t.true(inputs.includes('hosts/moddable/src/hash.ts'), 'the Moddable src/hash is bundled');
  t.true(inputs.includes('bench/shims/crypt.ts') && inputs.includes('bench/shims/hmac.ts'), 'with the bench crypt and hmac');
  t.false(inputs.some((f) => f.includes('@noble') || f === 'src/hash.ts'), 'and no @noble/hashes');

  let calls = 0;
  const host = digestHost();
  const worker = await newWorker('crypt-shim', { handleCommand: (r) => { calls++; return host(r); } });
  try {
    await worker.evaluate(built.code);
    const inXs = await ask<Record<string, string>>(worker, 'vectors');
    const onNode = hashVectors(sha256, hmacSha256);
    t.deepEqual(inXs, onNode);
    t.is(onNode.sha256Abc, known.sha256Abc);
    t.is(onNode.hmacRfc4231Case2, known.hmacRfc4231Case2);
    t.true(calls > Object.keys(onNode).length, 'every hash went through the host call');
  } finally {
    await worker.close();
  }
});
