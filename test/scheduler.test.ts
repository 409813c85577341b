// The host's one scheduler (src/scheduler.ts): rounds at deadlines, wakes now or by a time.
import test from 'ava';
import { Scheduler } from '../src/scheduler.ts';

/** A thing with a deadline of its own; `during` runs inside its service. */
function thing(deadline: number | undefined, during?: () => void) {
  const t = { deadline, rounds: [] as number[], service(now: number) { t.rounds.push(now); during?.(); }, nextDeadline: () => t.deadline };
  return t;
}

test('a round returns, and keeps as `next`, the earliest deadline', (t) => {
  const s = new Scheduler();
  s.add(thing(500));
  s.add(thing(300));
  t.is(s.run(0), 300);
  t.is(s.next, 300);
});

test('wake(at) before the timer brings it forward without a round; a later one changes nothing', (t) => {
  const s = new Scheduler();
  const a = thing(1_000);
  s.add(a);
  s.run(0);
  t.true(s.wake(50), 'the host must bring its timer forward');
  t.is(s.next, 50);
  t.false(s.wake(80), 'already due sooner');
  t.is(s.next, 50);
  t.false(s.woken, 'no round is due now');
  t.deepEqual(a.rounds, [0], 'no round ran');
});

test('wake() is now: a wake(at) after it does not move the round later', (t) => {
  const s = new Scheduler();
  s.add(thing(1_000));
  s.run(0);
  t.true(s.wake());
  t.false(s.wake(50), 'a round is due now already');
  t.true(s.woken);
});

test('inside a round: wake() runs another at once, wake(at) needs nothing (the round asks every deadline)', (t) => {
  const s = new Scheduler();
  let answer: boolean | undefined;
  const a = thing(900, () => { answer = s.wake(40); });
  s.add(a);
  t.is(s.run(0), 900);
  t.false(answer);
  const b = thing(900, () => { answer = s.wake(); });
  s.remove(a);
  s.add(b);
  t.is(s.run(10), 10, 'woken during the round: the next is now');
  t.false(answer, 'no need to bring the timer forward from inside');
});

test('a thing removed during a round: the round goes on with the list it started with', (t) => {
  const s = new Scheduler();
  const b = thing(undefined);
  const a = thing(undefined, () => s.remove(b));
  s.add(a);
  s.add(b);
  s.run(0);
  t.deepEqual([a.rounds, b.rounds], [[0], [0]]);
  s.run(1);
  t.deepEqual([a.rounds, b.rounds], [[0, 1], [0]], 'gone from the next round');
  t.is(s.size, 1);
});

test('a round that throws with onError: logged, the others serviced, the next in RETRY_MS', (t) => {
  const errors: unknown[] = [];
  const s = new Scheduler((e) => errors.push(e));
  const b = thing(undefined);
  s.add(thing(undefined, () => { throw new Error('boom'); }));
  s.add(b);
  t.is(s.run(100), 1_100);
  t.is(errors.length, 1);
  t.deepEqual(b.rounds, [100]);
});
