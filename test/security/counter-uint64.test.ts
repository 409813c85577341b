// Issue 12, item 8: a counter sent as a CBOR uint64 (0x1b) is a uint as command.cddl says, and
// the monitor's own counters travel as unsigned integers, never as float64.
import test from 'ava';
import { Encoder } from 'cbor-x';
import { CommandKey, encodeCommand } from '../../src/uplink/commands.ts';
import { signMac0 } from '../../src/uplink/cose.ts';
import { nextCounter } from '../../tools/monitor/command.ts';
import { Panel, arm, keyOf, NOW } from '../commands/fixtures.ts';

const wide = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false, variableMapSize: true } as never);

/** User 1's arm_away with the counter written as a BigInt: cbor-x then writes 0x1b and eight bytes. */
function armWithCounter(counter: bigint): Uint8Array {
  const payload = wide.encode(new Map<number, unknown>([
    [CommandKey.v, 1], [CommandKey.id, 41], [CommandKey.action, 'arm_away'], [CommandKey.counter, counter], [CommandKey.time, NOW],
  ]));
  const bytes = new Uint8Array(payload);
  const at = bytes.indexOf(0x03) + 1; // the counter's key, then its head
  if (bytes[at] !== 0x1b) throw new Error('the fixture must carry a uint64 counter');
  return signMac0(bytes, new TextEncoder().encode('1'), keyOf(1));
}

test('a counter encoded as uint64 (0x1b) is accepted and spent', (t) => {
  const panel = new Panel();
  const result = panel.handle(armWithCounter(5n));
  t.true(result.ok, result.ok ? '' : result.detail);
  t.is(panel.counters.get(1), 5);
  const big = panel.handle(armWithCounter(BigInt(Number.MAX_SAFE_INTEGER)));
  t.true(big.ok, big.ok ? '' : big.detail);
  t.is(panel.counters.get(1), Number.MAX_SAFE_INTEGER);
});

test('a uint64 counter above 2^53 - 1 is refused with a reason that says so, and nothing moves', (t) => {
  const panel = new Panel();
  const before = panel.snapshot();
  const result = panel.handle(armWithCounter(2n ** 53n));
  t.false(result.ok);
  if (!result.ok) {
    t.is(result.reason, 'malformed');
    t.regex(result.detail, /^counter: above 2\^53 − 1/);
  }
  t.is(panel.snapshot(), before);
});

test('the monitor sends its counter (ms × 1000) as an unsigned integer, never a float64', (t) => {
  const counter = nextCounter(Date.UTC(2026, 11, 1));
  t.true(counter > 2 ** 32);
  const bytes = encodeCommand({ ...arm(), counter, time: NOW });
  const at = bytes.indexOf(0x03) + 1;
  t.is(bytes[at], 0x1b, 'uint64 head');
  t.false(bytes.includes(0xfb), 'no float64 anywhere in the command');
  let n = 0n;
  for (let i = 1; i <= 8; i++) n = (n << 8n) | BigInt(bytes[at + i]);
  t.is(n, BigInt(counter));
});
