// Remote commands on Node and inside real XS: the same bytes signed, the same verdicts, and a
// seeded sweep of thousands of mutations that all end in the same refusals on both engines.
import { defineScenarios } from '../../hosts/xs/probe';
import { Tag } from 'cbor-x';
import { encodeCbor, decodeCbor } from '../../src/uplink/cbor';
import { signMac0 } from '../../src/uplink/cose';
import {
  authenticateCommand, decodeReply, encodeCommand, encodeReply, kidForUser, refusalReply, signCommand,
  type AuthOptions, type AuthResult, type Command, type Refused,
} from '../../src/uplink/commands';

/** A fixed key per user (the scenario needs no randomness). */
export function scenarioKey(user: number): Uint8Array {
  const key = new Uint8Array(32);
  for (let i = 0; i < 32; i++) key[i] = (i * 7 + user * 13) & 0xff;
  return key;
}

export const SCENARIO_NOW = 1_767_225_600;

/**
 * Made by cose-js (an independent implementation; test/commands/cose.test.ts re-creates it
 * byte for byte): `mac.create({ p: { alg: 'SHA-256' }, u: { kid: '2' } }, payload, { key: scenarioKey(2) })`
 * with payload `{0: 1, 1: 300, 2: "bypass", 3: 12, 4: SCENARIO_NOW - 5, 5: 4}` encoded by cbor2.
 */
export const COSE_JS_COMMAND =
  'd18443a10105a10441325819a600010119012c0266627970617373030c041a6955b8fb05045820' +
  'c2ea4d6f06c3a20ab6a447f32327d3ae9d1b057da192e250e28dac53dab5f423';

const hex = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
};
const fromHex = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
};

const NONCE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

/** A panel's counters and clock; the counter moves only when a command is accepted. */
function panel(now: number | undefined, counters: Array<[number, number]> = [[1, 4], [2, 10], [7, 0]]) {
  const last = new Map(counters);
  const options: AuthOptions = {
    keyFor: (user) => (user === 1 || user === 2 || user === 7 ? scenarioKey(user) : undefined),
    lastCounter: (user) => last.get(user) ?? 0,
    now,
    nonceFresh: (nonce) => nonce.length === NONCE.length && nonce.every((b, i) => b === NONCE[i]),
  };
  return {
    handle(bytes: Uint8Array): AuthResult {
      const result = authenticateCommand(bytes, options);
      if (result.ok) last.set(result.user, result.counter);
      return result;
    },
    counters: () => [...last].map(([u, c]) => `${u}:${c}`).join(' '),
  };
}

const arm = (over: Partial<Command> = {}): Command => ({
  id: 41, action: 'arm_away', args: { force: false }, counter: 5, time: SCENARIO_NOW, ...over,
});

/** xorshift32: a small seeded generator, the same sequence on every engine. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number): number => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

const actions: Array<Pick<Command, 'action' | 'args'>> = [
  { action: 'arm_away', args: { force: true } }, { action: 'arm_home', args: { force: false } },
  { action: 'arm_night', args: { force: false } }, { action: 'disarm', args: {} }, { action: 'bypass', args: { zone: 9 } },
  { action: 'unbypass', args: { zone: 200 } }, { action: 'silence', args: {} }, { action: 'log_export', args: {} },
  { action: 'test', args: {} },
];

function count(map: Map<string, number>, key: string) {
  map.set(key, (map.get(key) ?? 0) + 1);
}
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, n]) => `${k}=${n}`).join(' ');

export default defineScenarios('commands', {
  'a signed command is accepted; its bytes are the same on every engine': (t) => {
    const wire = signCommand(arm(), 1, scenarioKey(1));
    t.log('wire', wire);
    const p = panel(SCENARIO_NOW);
    const result = p.handle(wire);
    t.is(result, { ok: true, user: 1, kid: kidForUser(1), id: 41, action: 'arm_away', args: { force: false }, counter: 5, time: SCENARIO_NOW }, 'accepted');
    t.is(p.counters(), '1:5 2:10 7:0', 'the counter of user 1 moved to 5');
    t.is((p.handle(wire) as Refused).reason, 'replay', 'the same bytes again are a replay');
  },

  'a command made by cose-js is accepted': (t) => {
    const p = panel(SCENARIO_NOW);
    const result = p.handle(fromHex(COSE_JS_COMMAND));
    t.is(result, { ok: true, user: 2, kid: kidForUser(2), id: 300, action: 'bypass', args: { zone: 4 }, counter: 12, time: SCENARIO_NOW - 5 }, 'accepted');
  },

  'refusals carry the right reason and change nothing': (t) => {
    const withPayload = (fields: Array<[number, unknown]>) => signMac0(encodeCbor(new Map(fields)), kidForUser(1), scenarioKey(1));
    const good = signCommand(arm(), 1, scenarioKey(1));
    const cases: Array<[string, Uint8Array, string]> = [
      ['forged MAC', signMac0(encodeCommand(arm()), kidForUser(1), scenarioKey(2)), 'bad_mac'],
      ['unknown kid', signCommand(arm(), 3, scenarioKey(3)), 'unknown_key'],
      ['replayed counter', signCommand(arm({ counter: 4 }), 1, scenarioKey(1)), 'replay'],
      ['stale time', signCommand(arm({ time: SCENARIO_NOW - 41 }), 1, scenarioKey(1)), 'stale'],
      ['future time', signCommand(arm({ time: SCENARIO_NOW + 21 }), 1, scenarioKey(1)), 'future'],
      ['unknown action', withPayload([[0, 1], [1, 7], [2, 'open_garage'], [3, 9], [4, SCENARIO_NOW]]), 'unknown_action'],
      ['zone missing', withPayload([[0, 1], [1, 7], [2, 'bypass'], [3, 9], [4, SCENARIO_NOW]]), 'malformed'],
      ['truncated', good.subarray(0, good.length - 1), 'malformed'],
      ['garbage', fromHex('ff00ff00'), 'malformed'],
      ['wrong tag', encodeCbor(new Tag((decodeCbor(good) as Tag).value, 18)), 'malformed'],
      ['wrong alg', (() => { const w = good.slice(); w[5] = 0x04; return w; })(), 'malformed'],
      ['missing kid', (() => { const w = good.slice(); w[7] = 0x05; return w; })(), 'malformed'],
    ];
    for (const [name, wire, reason] of cases) {
      const p = panel(SCENARIO_NOW);
      const before = p.counters();
      const result = p.handle(wire) as Refused;
      t.is(result.ok, false, `${name}: refused`);
      t.is(result.reason, reason, `${name}: ${reason}`);
      t.log(name, `${result.detail} (id ${String(result.id)})`);
      t.is(p.counters(), before, `${name}: counters untouched`);
    }
  },

  'with the panel clock unset, the nonce decides: any time with the current nonce, stale without it': (t) => {
    const p = panel(undefined);
    t.is(p.handle(signCommand(arm({ counter: 5, time: SCENARIO_NOW - 86_400, nonce: NONCE }), 1, scenarioKey(1))).ok, true, 'a day old');
    t.is(p.handle(signCommand(arm({ counter: 6, time: SCENARIO_NOW + 86_400, nonce: NONCE }), 1, scenarioKey(1))).ok, true, 'a day ahead');
    const none = p.handle(signCommand(arm({ counter: 7 }), 1, scenarioKey(1))) as Refused;
    t.is([none.reason, none.detail], ['stale', "nonce: missing; the panel's clock is not set, so a command must carry the panel's nonce ({p}/{id}/nonce)"], 'no nonce');
    const old = p.handle(signCommand(arm({ counter: 8, nonce: new Uint8Array(8) }), 1, scenarioKey(1))) as Refused;
    t.is(old.reason, 'stale', 'another nonce');
  },

  'replies round-trip with the same bytes': (t) => {
    const accepted = encodeReply({ id: 41, ok: true, state: 'arming' });
    t.log('accepted', accepted);
    t.is(decodeReply(accepted), { reply: { id: 41, ok: true, state: 'arming' } }, 'accepted reply');
    const refused = panel(SCENARIO_NOW).handle(signCommand(arm({ counter: 1 }), 1, scenarioKey(1))) as Refused;
    const wire = encodeReply(refusalReply(refused));
    t.log('replay', wire);
    t.is(decodeReply(wire), { reply: { id: 41, ok: false, reason: 'replay', detail: 'counter: 1 is not above 4, the last accepted' } }, 'refusal reply');
    const zones = { id: 9, ok: false, reason: 'zones_open', zones: [2, 5] };
    t.is(decodeReply(encodeReply(zones)), { reply: zones }, 'a core refusal naming zones');
  },

  'a seeded sweep of mutations: every one refused, none throws': (t) => {
    const next = random(0x5eed);
    const kinds = new Map<string, number>();
    const reasons = new Map<string, number>();
    const where = new Map<string, number>();
    let accepted = 0;
    let threw = 0;
    let moved = 0;
    let mismatched = 0;
    const MUTATIONS = 3000;
    for (let n = 0; n < MUTATIONS; n++) {
      const user = [1, 2, 7][next(3)];
      const counter = 1 + next(1_000_000);
      const command: Command = { id: next(0x7fffffff), ...actions[next(actions.length)], counter, time: SCENARIO_NOW - 40 + next(61) };
      const wire = signCommand(command, user, scenarioKey(user));
      let mutant: Uint8Array;
      let kind: string;
      // Blind mutations meet a panel that already accepted the original (an attacker replaying
      // what it saw); targeted ones meet a panel that has not, so each must fail for its own reason.
      let seen = true;
      let expect: string | undefined;
      const at = next(wire.length);
      switch (next(7)) {
        case 0: kind = 'flip'; mutant = wire.slice(); mutant[at] ^= 1 + next(255); break;
        case 1: kind = 'truncate'; mutant = wire.slice(0, at); break;
        case 2: {
          kind = 'insert';
          const extra = Array.from({ length: 1 + next(4) }, () => next(256));
          mutant = new Uint8Array([...wire.subarray(0, at), ...extra, ...wire.subarray(at)]);
          break;
        }
        case 3: kind = 'delete'; mutant = new Uint8Array([...wire.subarray(0, at), ...wire.subarray(at + 1 + next(4))]); break;
        case 4: {
          // One part of the envelope replaced and re-encoded, without the key.
          kind = 'reencode';
          seen = false;
          const parts = ((decodeCbor(wire) as Tag).value as unknown[]).slice();
          const part = next(4);
          if (part === 0) {
            parts[0] = encodeCbor(new Map([[1, next(2) === 0 ? 4 : 6]]));
            expect = 'malformed';
          } else if (part === 1) {
            let other = 1 + next(8);
            if (other >= user) other++;
            parts[1] = new Map([[4, kidForUser(other)]]);
            expect = other === 1 || other === 2 || other === 7 ? 'bad_mac' : 'unknown_key';
          } else if (part === 2) {
            const payload = decodeCbor(parts[2] as Uint8Array) as Map<number, unknown>;
            payload.set(next(7), 1_000_000 + next(1000));
            parts[2] = encodeCbor(payload);
            expect = 'bad_mac';
          } else {
            parts[3] = Uint8Array.from({ length: 32 }, () => next(256));
            expect = 'bad_mac';
          }
          mutant = encodeCbor(new Tag(parts, 17));
          break;
        }
        case 5: {
          // The payload made invalid and signed with the right key.
          kind = 'signed-invalid';
          seen = false;
          const payload = decodeCbor(encodeCommand(command)) as Map<number, unknown>;
          switch (next(5)) {
            case 0: payload.delete(next(5)); expect = 'malformed'; break;
            case 1: payload.set(3, counter - 1 - next(counter)); expect = 'replay'; break; // at or below the last
            case 2: payload.set(4, SCENARIO_NOW - 41 - next(10_000)); expect = 'stale'; break;
            case 3: payload.set(2, 'arm_' + String(next(100))); expect = 'unknown_action'; break;
            default: payload.set(7 + next(50), 1); expect = 'malformed'; break;
          }
          mutant = signMac0(encodeCbor(payload), kidForUser(user), scenarioKey(user));
          break;
        }
        default: kind = 'garbage'; mutant = Uint8Array.from({ length: next(120) }, () => next(256)); break;
      }
      count(kinds, kind);
      const p = panel(SCENARIO_NOW, [[1, 0], [2, 0], [7, 0], [user, seen ? counter : counter - 1]]);
      const before = p.counters();
      try {
        const result = p.handle(mutant);
        if (result.ok) {
          accepted++;
        } else {
          count(reasons, result.reason);
          count(where, result.detail.replace(/[ :(].*$/, ''));
          if (expect !== undefined && result.reason !== expect) mismatched++;
          if (p.counters() !== before) moved++;
        }
      } catch {
        threw++;
      }
    }
    t.is(threw, 0, 'no mutation throws');
    t.is(accepted, 0, 'no mutation is accepted');
    t.is(moved, 0, 'no refusal moves a counter');
    t.is(mismatched, 0, 'each targeted mutation gets the reason it calls for');
    t.log('mutations', sorted(kinds));
    t.log('reasons', sorted(reasons));
    t.log('first word of the detail', sorted(where));
  },
});
