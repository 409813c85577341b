// The xs-panel bench's firmware hash build: hosts/moddable/src/hash.ts (the file the Moddable
// manifest maps `src/hash` to) over bench/shims/crypt.ts and hmac.ts, with SHA-256 answered by
// Node through xsnap's host call, gives src/hash.ts's (@noble/hashes) results, and the bundle
// really holds the Moddable file and no @noble code.
import test from 'ava';
import { bundle, repoRoot } from '../../tools/build.ts';
import { firmwareNatives } from '../../bench/xs-panel.ts';
import { hashVectors, known } from '../../bench/hash-vectors.ts';
import { ask, cryptHost, newWorker } from '../../bench/xs.ts';
import { hmacSha256, sha256 } from '../../src/hash.ts';
import { aeadSeal } from '../../src/aead.ts';
import { aeadCases } from './aead-cases.ts';

/** RFC 8439 §2.8.2: the tag of its AEAD example. */
const RFC8439_TAG = '1ae10b594f09e26a7e902ecbd0600691';

const entry = `
import { hmacSha256, sha256 } from './src/hash';
import { hashVectors } from './bench/hash-vectors';
const text = new TextEncoder();
globalThis.handleCommand = () => text.encode(JSON.stringify(hashVectors(sha256, hmacSha256))).buffer;
`;

test('the firmware src/hash over the host-call Digest gives src/hash.ts\'s results in XS', async (t) => {
  const built = await bundle({ stdin: { contents: entry, resolveDir: repoRoot }, modules: firmwareNatives, metafile: true });
  const inputs = Object.keys(built.metafile!.inputs);
  t.true(inputs.includes('hosts/moddable/src/hash.ts'), 'the Moddable src/hash is bundled');
  t.true(inputs.includes('bench/shims/crypt.ts') && inputs.includes('bench/shims/hmac.ts'), 'with the bench crypt and hmac');
  t.false(inputs.some((f) => f.includes('@noble') || f === 'src/hash.ts'), 'and no @noble/hashes');

  let calls = 0;
  const host = cryptHost();
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

// The firmware's src/aead (hosts/moddable/src/aead.ts: the ChaCha20 keystream from `crypt`'s
// StreamCipher, here the host call, and Poly1305 of @noble/ciphers) against src/aead.ts on Node.
const aeadEntry = `
import { aeadOpen, aeadSeal } from './src/aead';
import { aeadCases } from './test/bench/aead-cases';
const text = new TextEncoder();
const hex = (b) => Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
globalThis.handleCommand = () => text.encode(JSON.stringify(aeadCases().map(({ key, nonce, aad, plaintext }) => {
  const sealed = aeadSeal(key, nonce, aad, plaintext);
  const opened = aeadOpen(key, nonce, aad, sealed);
  const tampered = sealed.slice();
  tampered[0] ^= 1;
  return { sealed: hex(sealed), opens: opened !== undefined && hex(opened) === hex(plaintext), tamperedOpens: aeadOpen(key, nonce, aad, tampered) !== undefined };
}))).buffer;
`;

test('the firmware src/aead (native ChaCha20 as a host call, Poly1305 in JS) seals as src/aead.ts does, RFC 8439\'s vector included', async (t) => {
  const built = await bundle({ stdin: { contents: aeadEntry, resolveDir: repoRoot }, modules: firmwareNatives, metafile: true });
  const inputs = Object.keys(built.metafile!.inputs);
  t.true(inputs.includes('hosts/moddable/src/aead.ts'), 'the Moddable src/aead is bundled');
  t.false(inputs.some((f) => f.includes('@noble/ciphers/esm/chacha') || f.endsWith('@noble/ciphers/chacha.js') || f === 'src/aead.ts'), 'and no ChaCha in JS');
  const worker = await newWorker('aead-shim', { handleCommand: cryptHost() });
  try {
    await worker.evaluate(built.code);
    const inXs = await ask<Array<{ sealed: string; opens: boolean; tamperedOpens: boolean }>>(worker, 'cases');
    const onNode = aeadCases().map(({ key, nonce, aad, plaintext }) => Buffer.from(aeadSeal(key, nonce, aad, plaintext)).toString('hex'));
    t.deepEqual(inXs.map((c) => c.sealed), onNode);
    t.true(onNode[0].endsWith(RFC8439_TAG), 'RFC 8439 §2.8.2: the tag');
    t.true(inXs.every((c) => c.opens), 'each opens again');
    t.true(inXs.every((c) => !c.tamperedOpens), 'none opens with a byte flipped');
  } finally {
    await worker.close();
  }
});
