// The whole app on simulated hardware: pins → drivers → core → siren pin and journal.
import { defineScenarios } from '../../hosts/xs/probe';
import { SimHost } from '../../hosts/xs/sim-host';
import { MemoryStorage } from '../../hosts/xs/memory-storage';
import { SimBoard } from '../../hosts/xs/sim-digital';
import { firstBootConfig } from '../../src/config';

const DOOR = 32;
const SIREN = 25;
const s = 1000;

/** A first-boot panel on a fresh simulated host (`board`, `storage`: watched ones); `instantDoor`: zone 1 made instant. */
function boot(options: { board?: SimBoard; storage?: MemoryStorage; instantDoor?: boolean } = {}) {
  const host = new SimHost({ wallStart: 1_790_000_000, board: options.board, storage: options.storage });
  const first = firstBootConfig('sim1', (n) => host.randomBytes(n));
  const zones = first.config.alarm.zones.map((z) => (options.instantDoor && z.number === 1 ? { ...z, type: 'instant' as const } : z));
  return { host, first, panel: host.open({ ...first.config, alarm: { ...first.config.alarm, zones } }) };
}

/** Armed away from boot: the code at 1 s, the 30 s exit delay run out by 40 s. */
function armAway({ host, first, panel }: ReturnType<typeof boot>): void {
  host.runTo(panel, 1 * s);
  panel.keypad('arm_away', first.masterCode);
  host.runTo(panel, 40 * s);
}

const codes = (events: Array<{ code: number; q: number; zone?: number; user?: number }>) =>
  events.map((e) => `${e.code}/${e.q}${e.zone ? ` z${e.zone}` : ''}${e.user ? ` u${e.user}` : ''}`);

export default defineScenarios('app', {
  'first boot: disarmed, ready, the siren pin held low, 305 logged': (t) => {
    const { host, panel } = boot();
    host.runTo(panel, 1 * s);
    t.is(panel.snapshot().mode, 'disarmed', 'disarmed');
    t.is(host.board.level(SIREN), 0, 'siren pin low');
    t.is(codes(panel.events()), ['305/1'], 'panel restart logged');
    t.is(panel.status().boot, 1, 'boot count 1');
  },
  'arm, a door opens, entry delay runs out: the siren pin goes high, and low at its cap': (t) => {
    const { host, first, panel } = boot();
    host.runTo(panel, 1 * s);
    t.is(panel.keypad('arm_away', first.masterCode).ok, true, 'armed with the master code');
    host.runTo(panel, 40 * s);
    t.is(panel.snapshot().mode, 'armed_away', 'armed after the exit delay');
    host.set(DOOR, 1);
    host.runTo(panel, 45 * s);
    t.is(panel.snapshot().mode, 'pending', 'entry delay');
    host.runTo(panel, 72 * s);
    t.is(panel.snapshot().mode, 'triggered', 'alarm');
    t.is(host.board.level(SIREN), 1, 'siren pin high');
    host.runTo(panel, (71 + 179) * s);
    t.is(host.board.level(SIREN), 1, 'still sounding before the cap');
    host.runTo(panel, (71 + 181) * s);
    t.is(host.board.level(SIREN), 0, 'silent after the 180 s cap');
    t.is(panel.keypad('disarm', first.masterCode).ok, true, 'disarmed');
    t.log('events', codes(panel.events()));
  },
  'a power cut while armed comes back armed, with the log intact': (t) => {
    const { host, first, panel } = boot();
    host.runTo(panel, 1 * s);
    panel.keypad('arm_away', first.masterCode);
    host.runTo(panel, 40 * s);
    const before = panel.events();
    const again = new SimHost({ storage: host.storage, wallStart: 1_790_000_100 }); // power back: a fresh board
    const rebooted = again.open(first.config);
    again.runTo(rebooted, 1 * s);
    t.is(rebooted.snapshot().mode, 'armed_away', 'still armed');
    t.is(rebooted.status().boot, 2, 'boot count 2');
    const after = rebooted.events();
    t.is(codes(after.slice(0, before.length)), codes(before), 'earlier events intact');
    t.ok(after.every((e, i) => i === 0 || e.seq === after[i - 1].seq + 1), 'sequence numbers continue without a gap');
    t.log('after', codes(after));
  },
  'siren first: the siren pin is already on when the alarm event is appended to the journal': (t) => {
    /** The core's mode and the last logged event at the siren pin's first write high, while `watching`. */
    let atSiren: string | undefined;
    class SirenWatch extends SimBoard {
      override drive(pin: number, level: 0 | 1): void {
        if (watching && pin === SIREN && level === 1 && atSiren === undefined) atSiren = `${panel.snapshot().mode}, last event ${codes(panel.events().slice(-1))}`;
        super.drive(pin, level);
      }
    }
    const board = new SirenWatch();
    /** Every append to flash while `watching`: the file, and the siren pin's level at that moment. */
    const appends: string[] = [];
    let watching = false;
    class Watched extends MemoryStorage {
      override append(name: string, bytes: Uint8Array): void {
        if (watching) appends.push(`${name} siren=${board.level(SIREN)}`);
        super.append(name, bytes);
      }
    }
    const booted = boot({ board, storage: new Watched(), instantDoor: true });
    const { host, panel } = booted;
    armAway(booted);
    t.is(panel.snapshot().mode, 'armed_away', 'armed');
    t.is(board.level(SIREN), 0, 'siren pin low while armed');
    watching = true;
    host.set(DOOR, 1); // an instant zone: the alarm event and the siren come from the same input
    host.runTo(panel, 41 * s);
    watching = false;
    t.is(panel.snapshot().mode, 'triggered', 'alarm');
    t.is(codes(panel.events().slice(-1)), ['130/1 z1'], 'burglary logged');
    t.ok(appends.length > 0, 'the alarm was written to flash');
    t.is(appends[0], 'log.0 siren=1', 'the first append (the event to the log) found the siren pin on');
    t.is(appends.filter((a) => a.endsWith('siren=0')), [], 'no append of that input came before the siren');
    t.is(atSiren, 'armed_away, last event 401/3 u1', 'the siren pin went high before the core\'s step (still armed, nothing logged)');
    t.log('appends', appends);
  },
  'armed, a glitch on an instant zone shorter than the debounce sounds no siren and logs nothing; an opening held for it does': (t) => {
    let sirenHigh = 0;
    class SirenWatch extends SimBoard {
      override drive(pin: number, level: 0 | 1): void {
        if (pin === SIREN && level === 1) sirenHigh++;
        super.drive(pin, level);
      }
    }
    const booted = boot({ board: new SirenWatch(), instantDoor: true });
    const { host, panel } = booted;
    armAway(booted);
    t.is(panel.snapshot().mode, 'armed_away', 'armed');
    const logged = panel.events().length;
    sirenHigh = 0;
    host.set(DOOR, 1); // 30 ms open, a bounce, 10 ms closed, open 5 ms, then closed for good
    host.runTo(panel, host.uptimeMs + 30);
    host.set(DOOR, 0);
    host.runTo(panel, host.uptimeMs + 10);
    host.set(DOOR, 1);
    host.runTo(panel, host.uptimeMs + 5);
    host.set(DOOR, 0);
    host.runTo(panel, host.uptimeMs + 2 * s);
    t.is(sirenHigh, 0, 'the siren pin never went high');
    t.is(panel.snapshot().mode, 'armed_away', 'still armed');
    t.is(panel.events().length, logged, 'nothing logged');
    host.set(DOOR, 1);
    host.runTo(panel, host.uptimeMs + 50);
    t.is(sirenHigh, 1, 'held open for the 50 ms debounce: the siren');
    t.is(codes(panel.events().slice(-1)), ['130/1 z1'], 'and the burglary');
  },
  'an input edge costs no service round before its debounce ends; the round at its end opens the zone': (t) => {
    const { host, panel } = boot();
    host.runTo(panel, 1 * s);
    let rounds = 0;
    const service = panel.service.bind(panel);
    Object.defineProperty(panel, 'service', { value: () => { rounds++; service(); } }); // (not `=`: XS freezes the prototype)
    host.runTo(panel, 10 * s); // an idle panel: rounds only at its own deadlines
    const idle = rounds;
    rounds = 0;
    host.set(DOOR, 1);
    host.runTo(panel, host.uptimeMs + 49);
    t.is(rounds, 0, 'no round during the 50 ms debounce');
    t.is(panel.snapshot().zones[0].open, false, 'not open yet');
    host.runTo(panel, host.uptimeMs + 1);
    t.is(rounds, 1, 'one round, at the end of the debounce');
    t.is(panel.snapshot().zones[0].open, true, 'the zone is open');
    t.log('rounds of an idle panel over 9 s', idle);
  },
  'a door opening and closing while disarmed is published, not written to flash (nothing a restore reads changed)': (t) => {
    const writes: string[] = [];
    class Counted extends MemoryStorage {
      override replace(name: string, bytes: Uint8Array): void { writes.push(name); super.replace(name, bytes); }
      override append(name: string, bytes: Uint8Array): void { writes.push(name); super.append(name, bytes); }
    }
    const { host, first, panel } = boot({ storage: new Counted() });
    host.runTo(panel, 1 * s);
    writes.length = 0;
    host.set(DOOR, 1);
    host.runTo(panel, 2 * s);
    t.is(panel.snapshot().zones[0].open, true, 'open');
    host.set(DOOR, 0);
    host.runTo(panel, 3 * s);
    t.is(panel.snapshot().zones[0].open, false, 'closed again');
    t.is(writes, [], 'no flash write');
    panel.keypad('arm_away', first.masterCode);
    host.runTo(panel, 4 * s);
    t.ok(writes.includes('core.a') || writes.includes('core.b'), 'arming (a change a restore reads) is saved');
  },
  'wrong codes: the tenth locks the keypad': (t) => {
    const { host, first, panel } = boot();
    host.runTo(panel, 1 * s);
    const wrong = first.masterCode === '000000' ? '111111' : '000000';
    const reasons: string[] = [];
    for (let i = 0; i < 10; i++) { const r = panel.keypad('arm_away', wrong); reasons.push(r.ok ? 'ok' : r.reason); }
    t.is(reasons.slice(0, 9).every((r) => r === 'bad_code'), true, 'nine wrong codes are refused as wrong');
    t.is(reasons[9], 'locked_out', 'the tenth engages the lockout');
    const locked = panel.keypad('arm_away', first.masterCode);
    t.is(locked.ok ? 'ok' : locked.reason, 'locked_out', 'even the right code is refused while locked');
    t.ok(panel.events().some((e) => e.code === 461), '461 reported');
  },
});
