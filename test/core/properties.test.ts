// Properties of the core over random settings, random input sequences, random times and
// random power cuts, checked with fast-check. A simulated host ticks the core at every
// deadline, as the real hosts do.
import test from 'ava';
import fc from 'fast-check';
import { initialState, nextDeadline, opensToSiren, persisted, restore, snapshot, step, type Effect, type Input, type Mode, type State } from '../../src/core/machine.ts';
import { blockers, readiness, readinessAll } from '../../src/core/zones.ts';
import { isContactIdCode, type PanelEvent } from '../../src/core/events.ts';
import { armedModes, makeUser, validateSettings, zoneTypes, type Settings } from '../../src/core/settings.ts';

const users = [
  makeUser({ number: 1, role: 'master', code: '1234', duressCode: '9999', salt: '0a0b0c0d' }),
  makeUser({ number: 2, role: 'user', code: '2580', salt: '01020304' }),
  makeUser({ number: 3, role: 'arm-only', code: '1111', salt: 'a1a2a3a4' }),
];
const rightCodes = new Set(['1234', '9999', '2580', '1111']);
const anyCode = fc.constantFrom('1234', '2580', '2580', '1111', '9999', '0000', '5555', '12');

const zoneArb = fc.record({
  type: fc.constantFrom(...zoneTypes),
  modes: fc.subarray([...armedModes]),
  chime: fc.boolean(),
  flag: fc.boolean(),
});

const settingsArb = fc.record({
  zones: fc.array(zoneArb, { minLength: 1, maxLength: 6 }),
  exit: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 3, maxLength: 3 }),
  entry: fc.array(fc.integer({ min: 0, max: 45 }), { minLength: 3, maxLength: 3 }),
  sirenTime: fc.integer({ min: 120, max: 900 }),
  swingerLimit: fc.integer({ min: 1, max: 10 }),
}).map((r): Settings => {
  const zones = r.zones.map((z, i) => ({
    number: i + 1,
    type: z.type,
    ...(z.type === '24h' || z.type === 'panic' ? {} : { modes: z.modes }),
    chime: z.chime && (z.type === 'delayed' || z.type === 'instant'),
    ...(z.type === 'panic' ? { silent: z.flag } : {}),
    ...(z.type === '24h' ? { sirenWhenDisarmed: z.flag } : {}),
  }));
  const timers = Object.fromEntries(armedModes.map((m, i) => [m, { exitDelay: r.exit[i], entryDelay: r.entry[i] }]));
  const v = validateSettings({ zones, timers, sirenTime: r.sirenTime, swingerLimit: r.swingerLimit, users });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.settings;
});

type Act = Input | { type: 'power' };
const zoneNo = fc.integer({ min: 1, max: 7 }); // 7 may not exist: unknown zones are inputs too
const keypadAction = fc.constantFrom('arm_away', 'arm_home', 'arm_night', 'disarm', 'disarm', 'silence', 'bypass', 'unbypass') as fc.Arbitrary<'arm_away'>;
const actArb: fc.Arbitrary<Act> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('zone' as const), zone: zoneNo, open: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('tamper' as const), zone: zoneNo, active: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('keypad' as const), action: keypadAction, code: anyCode, zone: zoneNo, force: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('remote' as const), user: fc.integer({ min: 1, max: 4 }), action: keypadAction, zone: zoneNo, force: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ type: 'tick' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('uplink' as const), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom({ type: 'test_report' as const }, { type: 'outbox_overflow' as const }, { type: 'config_changed' as const, user: 1 }) },
  { weight: 1, arbitrary: fc.constant({ type: 'power' as const }) },
);
/** Seconds before each act: mostly short, sometimes long enough for every timer to run out. */
const pauseArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 3_000, max: 40_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 40_000, max: 1_000_000 }) },
);
const wrongCode: Act = { type: 'keypad', action: 'disarm', code: '0000' };
/**
 * Random settings and acts, enriched so that rare states come often: bursts of wrong codes
 * (lockouts), and power cuts soon after a zone opens (mid-entry delay, mid-alarm).
 */
const runArb = fc.record({
  settings: settingsArb,
  acts: fc.array(fc.tuple(pauseArb, actArb), { minLength: 1, maxLength: 60, size: 'large' }),
  bursts: fc.array(fc.nat(), { maxLength: 3 }),
  cuts: fc.array(fc.boolean(), { maxLength: 60, size: 'large' }),
  intrusions: fc.array(fc.tuple(fc.nat(), zoneNo, fc.constantFrom('arm_away', 'arm_home', 'arm_night') as fc.Arbitrary<'arm_away'>), { maxLength: 2 }),
}).map(({ settings, acts, bursts, cuts, intrusions }) => {
  const all: Array<[number, Act]> = [];
  acts.forEach((a, i) => {
    all.push(a);
    if (cuts[i] && a[1].type === 'zone' && a[1].open) all.push([cuts.length * 97 % 5_000, { type: 'power' }]);
  });
  for (const at of bursts) {
    const burst = Array.from({ length: 10 }, (): [number, Act] => [300, wrongCode]);
    all.splice(at % (all.length + 1), 0, ...burst);
  }
  const doors = settings.zones.filter((z) => z.type === 'delayed' && z.modes.length > 0);
  for (const [at, n, action] of intrusions) { // arm, let the exit delay pass, open a zone (a door if any), cut the power
    const door = n % 2 === 0 && doors.length > 0 ? doors[n % doors.length] : undefined;
    const zone = door?.number ?? n;
    const arm = door ? `arm_${door.modes[n % door.modes.length].slice(6)}` as 'arm_away' : action;
    all.splice(at % (all.length + 1), 0,
      [0, { type: 'zone', zone, open: false }], [0, { type: 'keypad', action: 'disarm', code: '1234' }],
      [0, { type: 'keypad', action: arm, code: '1234', force: true }],
      [61_000, { type: 'zone', zone, open: true }], [1_000, { type: 'power' }]);
  }
  return { settings, acts: all };
});

interface StepRecord { kind: 'step'; t: number; boot: number; before: State; input: Input; after: State; effects: Effect[] }
interface PowerRecord { kind: 'power'; before: State; after: State; effects: Effect[] }
type Record_ = StepRecord | PowerRecord;

/** A host: ticks at every deadline, sends each act after its pause, cuts the power when told. */
function simulate(settings: Settings, acts: Array<[number, Act]>): Record_[] {
  const trace: Record_[] = [];
  let boot = 1;
  let t = 0;
  let state = initialState(settings, boot);
  const run = (input: Input) => {
    const r = step(settings, state, input, { uptime: t });
    trace.push({ kind: 'step', t, boot, before: state, input, after: r.state, effects: r.effects });
    state = r.state;
    return r;
  };
  run({ type: 'boot' });
  for (const [pause, act] of acts) {
    const end = t + pause;
    for (let due = nextDeadline(state); due !== undefined && due <= end; due = nextDeadline(state)) {
      t = Math.max(t, due);
      run({ type: 'tick' });
    }
    t = end;
    if (act.type === 'power') {
      const before = state;
      boot += 1;
      t = 0;
      state = restore(settings, JSON.parse(JSON.stringify(persisted(before))), boot);
      const r = run({ type: 'boot' });
      trace.push({ kind: 'power', before, after: r.state, effects: r.effects });
    } else run(act);
  }
  return trace;
}

const steps = (trace: Record_[]) => trace.filter((r): r is StepRecord => r.kind === 'step');
const events = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'event' ? [e.event] : []));
const params = { numRuns: 150 };

test('readiness in every mode from one walk: the zones arming checks, and what an arm command answers', (t) => {
  const zoneStateArb = fc.record({ open: fc.boolean(), fault: fc.boolean(), bypassed: fc.boolean() });
  fc.assert(fc.property(settingsArb, fc.array(zoneStateArb, { minLength: 6, maxLength: 6 }), fc.constantFrom<Mode>('disarmed', 'disarmed', 'armed_away', 'triggered'), fc.boolean(), (settings, zs, mode, siren) => {
    const booted = step(settings, initialState(settings, 1), { type: 'boot' }, { uptime: 0 }).state;
    const zones = { ...booted.zones };
    settings.zones.forEach((z, i) => { zones[z.number] = { ...zones[z.number], ...zs[i] }; });
    const state: State = { ...booted, mode, zones, ...(siren ? { siren: { from: 0, until: 60_000 } } : {}) };
    const all = readinessAll(settings, state);
    if (!Object.isFrozen(all)) throw new Error('not frozen');
    if (JSON.stringify(snapshot(settings, state, { uptime: 0 }).ready) !== JSON.stringify(all)) throw new Error('the snapshot has other readiness');
    for (const m of armedModes) {
      const r = all[m];
      if (JSON.stringify(r) !== JSON.stringify(readiness(settings, state, m)) || !Object.isFrozen(r) || !Object.isFrozen(r.zones)) throw new Error(`${m}: not the frozen answer readiness gives`);
      const expected = mode !== 'disarmed' || siren ? { ready: false, reason: 'invalid_state', zones: [] }
        : blockers(settings, state, m).length > 0 ? { ready: false, reason: 'zones_open', zones: blockers(settings, state, m) } : { ready: true, zones: [] };
      if (JSON.stringify(r) !== JSON.stringify(expected)) throw new Error(`${m}: ${JSON.stringify(r)}, blockers say ${JSON.stringify(expected)}`);
      // An arm command without force (a master's code) succeeds exactly when ready, refused for the same reason and zones.
      const action = m === 'armed_away' ? 'arm_away' : m === 'armed_home' ? 'arm_home' : 'arm_night';
      const answer = step(settings, state, { type: 'keypad', action, code: '1234' }, { uptime: 1000 }).effects.find((e) => e.type === 'result');
      const said = answer?.type === 'result' ? (answer.ok ? { ok: true } : { ok: false, reason: answer.reason, zones: answer.zones ?? [] }) : undefined;
      const predicted = r.ready ? { ok: true } : { ok: false, reason: r.reason, zones: r.zones };
      if (JSON.stringify(said) !== JSON.stringify(predicted)) throw new Error(`${m}: arming said ${JSON.stringify(said)}, readiness ${JSON.stringify(predicted)}`);
    }
  }), { numRuns: 500 });
  t.pass();
});

test('the siren never runs longer than its cap', (t) => {
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    const cap = settings.sirenTime * 1000;
    let start: number | undefined;
    for (const r of simulate(settings, acts)) {
      if (r.kind === 'power') { start = undefined; continue; } // no power, no siren
      if (start !== undefined && r.t - start > cap) return false;
      for (const e of r.effects) {
        if (e.type !== 'siren') continue;
        if (start !== undefined && r.t - start > cap) return false;
        start = e.on && e.pattern === 'alarm' ? r.t : undefined;
      }
    }
    return true;
  }), params);
  t.pass();
});

test('a disarmed panel sounds the alarm only for a 24h zone set to, or an audible panic', (t) => {
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    for (const r of steps(simulate(settings, acts))) {
      const alarm = r.effects.some((e) => e.type === 'siren' && e.on && e.pattern === 'alarm');
      if (!alarm || r.after.mode !== 'disarmed' || r.before.resume?.siren) continue;
      const input = r.input;
      if (input.type !== 'zone' && input.type !== 'tamper') return false;
      const z = settings.zones.find((x) => x.number === input.zone);
      const allowed = (z?.type === 'panic' && !z.silent && input.type === 'zone') || (z?.type === '24h' && z.sirenWhenDisarmed === true);
      if (!allowed) return false;
    }
    return true;
  }), params);
  t.pass();
});

const rank: Record<Mode, number> = { disarmed: 0, arming: 1, armed_away: 2, armed_home: 2, armed_night: 2, pending: 3, triggered: 4 };

test('a restore never lowers the state', (t) => {
  const cutIn = new Map<Mode, number>();
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    for (const r of simulate(settings, acts)) {
      if (r.kind !== 'power') continue;
      const { before, after } = r;
      cutIn.set(before.mode, (cutIn.get(before.mode) ?? 0) + 1);
      if (rank[after.mode] < rank[before.mode]) return false;
      if (before.mode === 'arming' && after.mode !== before.armedMode) return false;
      if (before.mode === 'pending' && after.mode !== 'triggered') return false;
      if (before.mode !== 'disarmed' && after.armedMode !== before.armedMode) return false;
      for (const [n, z] of Object.entries(before.zones)) {
        const back = after.zones[Number(n)];
        if ((z.memory && !back.memory) || (z.bypassed && !back.bypassed)) return false;
      }
      if (after.wrongCodes !== before.wrongCodes) return false;
      if (before.lockedUntil !== undefined && after.lockedUntil === undefined) return false;
      if ((before.siren !== undefined || before.mode === 'pending') && after.siren === undefined) return false;
      if (after.seq <= before.seq) return false;
    }
    return true;
  }), params);
  t.log(`power cuts in each mode: ${JSON.stringify(Object.fromEntries(cutIn))}`);
  t.is(cutIn.size, 7, 'power was cut in every mode');
});

test('the lockout always engages at the 10th wrong code in a row, and never refuses a remote command', (t) => {
  let lockouts = 0;
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    let wrong = 0;
    for (const r of steps(simulate(settings, acts))) {
      if (r.input.type === 'remote' && r.before.lockedUntil !== undefined && r.before.lockedUntil > r.t) {
        // A key-authenticated command carries no code: the lockout never refuses it.
        if (r.effects.some((e) => e.type === 'result' && !e.ok && e.reason === 'locked_out')) return false;
      }
      if (r.input.type !== 'keypad') continue;
      const result = r.effects.find((e) => e.type === 'result')!;
      const locked = r.before.lockedUntil !== undefined && r.before.lockedUntil > r.t;
      if (locked) {
        if (result.ok || result.reason !== 'locked_out' || events(r.effects).length > 0) return false;
        continue;
      }
      if (rightCodes.has(r.input.code)) {
        wrong = 0;
        if (!result.ok && (result.reason === 'bad_code' || result.reason === 'locked_out')) return false;
        continue;
      }
      wrong += 1;
      const lockedNow = events(r.effects).some((e) => e.code === 461 && e.q === 1);
      if (wrong % 10 === 0) {
        lockouts++;
        if (!lockedNow || result.ok || result.reason !== 'locked_out' || r.after.lockedUntil !== r.t + 90_000) return false;
      } else if (lockedNow || result.ok || result.reason !== 'bad_code') return false;
      if (r.after.wrongCodes !== wrong) return false;
    }
    return true;
  }), params);
  t.true(lockouts > 50, `lockouts seen: ${lockouts}`);
});

test('sequence numbers strictly increase, across power cuts too', (t) => {
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    let last = 0;
    for (const r of steps(simulate(settings, acts))) {
      for (const e of events(r.effects)) {
        if (e.seq <= last) return false;
        last = e.seq;
      }
      if (r.after.seq !== last) return false;
    }
    return true;
  }), params);
  t.pass();
});

test('every event has a valid Contact ID code, qualifier, zone, user, boot and uptime', (t) => {
  const seen = new Set<number>();
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    const zones = new Set(settings.zones.map((z) => z.number));
    const valid = (e: PanelEvent, r: StepRecord) =>
      isContactIdCode(e.code) && (e.q === 1 || e.q === 3) && e.boot === r.boot && e.uptime <= r.t && e.uptime >= 0
      && (e.zone === undefined || zones.has(e.zone)) && (e.user === undefined || users.some((u) => u.number === e.user));
    for (const r of steps(simulate(settings, acts))) {
      for (const e of events(r.effects)) {
        seen.add(e.code);
        if (!valid(e, r)) return false;
      }
    }
    return true;
  }), params);
  t.log(`codes seen: ${[...seen].sort().join(' ')}`);
  t.true(seen.size >= 15, 'the runs reach most of the vocabulary');
});

test('the siren played ahead of the step is the step\'s own: never one it would not sound, none it starts missed', (t) => {
  // Every state a run passes through, every zone (and one unknown) opening, now and 5 s later
  // (when a deadline may be due): `opensToSiren` against the step itself.
  let ahead = 0;
  let leftToStep = 0;
  fc.assert(fc.property(runArb, ({ settings, acts }) => {
    for (const r of steps(simulate(settings, acts))) {
      for (const at of [r.t, r.t + 5_000]) {
        for (const zone of [...settings.zones.map((z) => z.number), 99]) {
          const sounds = opensToSiren(settings, r.after, zone, at);
          const next = step(settings, r.after, { type: 'zone', zone, open: true }, { uptime: at });
          const starts = next.effects.some((e) => e.type === 'siren' && e.on && e.pattern === 'alarm');
          if (sounds && next.state.siren === undefined) return false; // the step would not sound it
          const due = nextDeadline(r.after);
          const stepDecides = due !== undefined && due <= at;
          if (starts && !sounds && !stepDecides) return false; // a siren the step starts, not played ahead
          if (sounds) ahead++;
          if (starts && stepDecides) leftToStep++;
        }
      }
    }
    return true;
  }), params);
  t.log(`openings played ahead: ${ahead}; sirens left to the step (a deadline was due): ${leftToStep}`);
  t.true(ahead > 1000, 'the rule said "siren" often');
  t.true(leftToStep > 0, 'a deadline was due with a siren to start');
});
