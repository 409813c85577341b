// The core's settings: defaults, ranges, field-level errors, hashed codes.
import test from 'ava';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { hashCode, makeUser, sameHash, validateSettings, type FieldError } from '../../src/core/settings.ts';

const master = makeUser({ number: 1, role: 'master', code: '1234', salt: '00112233' });

function errors(raw: unknown): FieldError[] {
  const r = validateSettings(raw);
  return r.ok ? [] : r.errors;
}
const fields = (raw: unknown) => errors(raw).map((e) => e.field);

test('defaults fill in timers, siren time, swinger limit, names, numbers and modes', (t) => {
  const r = validateSettings({ zones: [{ type: 'delayed' }, { type: 'follower' }, { type: 'panic' }], users: [master] });
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const s = r.settings;
  t.deepEqual(s.timers.armed_away, { exitDelay: 30, entryDelay: 30 });
  t.deepEqual(s.timers.armed_night, { exitDelay: 30, entryDelay: 30 });
  t.is(s.sirenTime, 180);
  t.is(s.swingerLimit, 3);
  t.deepEqual(s.zones.map((z) => z.number), [1, 2, 3]);
  t.is(s.zones[0].name, 'Zone 1');
  t.deepEqual(s.zones[0].modes, ['armed_away', 'armed_home', 'armed_night']);
  t.deepEqual(s.zones[1].modes, ['armed_away'], 'followers rest while people are home or asleep');
  t.is(s.zones[0].chime, false);
});

test('timer ranges are enforced per mode, with the field named', (t) => {
  const e = errors({ users: [master], timers: { armed_home: { exitDelay: 256, entryDelay: 46 }, armed_night: { entryDelay: -1 } } });
  t.deepEqual(e, [
    { field: 'timers.armed_home.exitDelay', message: 'must be between 0 and 255 (got 256)' },
    { field: 'timers.armed_home.entryDelay', message: 'must be between 0 and 45 (got 46)' },
    { field: 'timers.armed_night.entryDelay', message: 'must be between 0 and 45 (got -1)' },
  ]);
  t.deepEqual(errors({ users: [master], timers: { armed_away: { exitDelay: 255, entryDelay: 45 } } }), [], 'the limits themselves are fine');
  t.deepEqual(fields({ users: [master], timers: { armed_away: { exitDelay: 1.5 } } }), ['timers.armed_away.exitDelay']);
});

test('siren time 120–900 s and swinger limit 1–10', (t) => {
  t.deepEqual(fields({ users: [master], sirenTime: 119, swingerLimit: 0 }), ['sirenTime', 'swingerLimit']);
  t.deepEqual(fields({ users: [master], sirenTime: 901, swingerLimit: 11 }), ['sirenTime', 'swingerLimit']);
  t.deepEqual(errors({ users: [master], sirenTime: 900, swingerLimit: 10 }), []);
  t.regex(errors({ users: [master], sirenTime: 'forever' })[0].message, /whole number/);
});

test('zone errors name the zone by its place in the list', (t) => {
  const e = errors({
    users: [master],
    zones: [
      { type: 'delayed' },
      { type: 'instant' },
      { type: 'door' },
      { type: 'follower', chime: true },
      { type: 'instant', silent: true },
      { type: 'panic', modes: ['armed_away'] },
      { type: 'instant', modes: ['armed_away', 'away'] },
      { number: 2, type: 'instant' },
      { type: 'delayed', sirenWhenDisarmed: true },
      { type: 'instant', chme: true },
    ],
  });
  t.deepEqual(e.map((x) => x.field), [
    'zones[2].type', 'zones[3].chime', 'zones[4].silent', 'zones[5].modes', 'zones[6].modes[1]',
    'zones[8].sirenWhenDisarmed', 'zones[9].chme', 'zones[7].number',
  ]);
  t.is(e[0].message, 'must be one of delayed, follower, instant, 24h, panic (got "door")');
  t.is(e[7].message, '2 is already used by zones[1]');
  t.is(e[6].message, 'unknown field');
});

test('zone numbers are 1–999, as Contact ID carries them', (t) => {
  t.deepEqual(fields({ users: [master], zones: [{ number: 0, type: 'instant' }, { number: 1000, type: 'instant' }] }), ['zones[0].number', 'zones[1].number']);
});

test('users: role, salt and hashes are checked; a master is required', (t) => {
  t.deepEqual(fields({}), ['users']);
  t.regex(errors({ users: [makeUser({ number: 1, role: 'user', code: '1234', salt: '00112233' })] })[0].message, /master/);
  const e = errors({ users: [{ number: 1, role: 'boss', salt: 'xyz', codeHash: 'abc' }] });
  t.deepEqual(e.map((x) => x.field), ['users[0].role', 'users[0].salt', 'users[0].codeHash']);
  t.deepEqual(fields({ users: [master, { ...master }] }), ['users[1].number']);
  t.deepEqual(fields({ users: [{ ...master, duressHash: master.codeHash }] }), ['users[0].duressHash']);
  t.deepEqual(fields({ users: [{ ...master, code: '1234' }] }), ['users[0].code'], 'a plain code is refused, not stored');
});

test('not an object, not a list: clear errors, no exception', (t) => {
  t.deepEqual(errors(null), [{ field: '', message: 'settings must be an object' }]);
  t.deepEqual(errors({ users: [master], zones: 'all' }), [{ field: 'zones', message: 'must be a list' }]);
  t.deepEqual(fields({ users: [master], zones: [7] }), ['zones[0]']);
  t.deepEqual(fields({ users: [master], timers: { armed_away: 30 } }), ['timers.armed_away']);
});

test('validation leaves its input unchanged', (t) => {
  const raw = { users: [master], zones: [{ type: 'delayed' }] };
  const before = JSON.stringify(raw);
  validateSettings(raw);
  t.is(JSON.stringify(raw), before);
});

test('hashCode is SHA-256 over salt and code, hex', (t) => {
  const expected = bytesToHex(sha256(new Uint8Array([0x00, 0x11, 0x22, 0x33, 0x31, 0x32, 0x33, 0x34])));
  t.is(hashCode('1234', '00112233'), expected);
  t.not(hashCode('1234', '00112234'), expected, 'the salt matters');
  t.not(master.codeHash, makeUser({ number: 2, role: 'user', code: '1234', salt: '44556677' }).codeHash, 'equal codes do not show');
});

test('codes are 4–8 digits', (t) => {
  for (const bad of ['123', '123456789', '12a4', '', ' 1234']) {
    t.throws(() => hashCode(bad, '00112233'), { message: /4 to 8 digits/ }, bad);
  }
  t.notThrows(() => hashCode('12345678', '00112233'));
  t.throws(() => makeUser({ number: 1, role: 'user', code: '1234', duressCode: '1234', salt: '00' }), { message: /differ/ });
});

test('sameHash compares in full', (t) => {
  t.true(sameHash('abcd', 'abcd'));
  t.false(sameHash('abcd', 'abce'));
  t.false(sameHash('abcd', 'abc'));
  t.false(sameHash('', 'a'));
});

test('settings read back: what validation returns validates again to the same (24h and panic zones list every mode)', (t) => {
  const r = validateSettings({ zones: [{ type: '24h', sirenWhenDisarmed: true }, { type: 'panic' }, { type: 'delayed' }], users: [master] });
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const again = validateSettings(JSON.parse(JSON.stringify(r.settings)));
  if (!again.ok) return t.fail(`a saved config would not load: ${JSON.stringify(again.errors)}`);
  t.deepEqual(again.settings, r.settings);
  t.deepEqual(fields({ zones: [{ type: '24h', modes: ['armed_away'] }], users: [master] }), ['zones[0].modes'], 'fewer modes on a 24h zone is still refused');
});
