// The outbox fills while the broker is away: low-priority events go first, 624 is logged,
// and alarm events are all kept for the monitoring station. The outbox holds 10,000 events:
// a long outage before this boot left it nearly full, and this boot's events overflow it.
import { defineScenarios } from '../../hosts/xs/probe';
import { SimHost } from '../../hosts/xs/sim-host';
import { firstBootConfig } from '../../src/config';
import { Journal } from '../../src/store/journal';
import { PersistentOutbox } from '../../src/store/outbox';
import { ContactId } from '../../src/core/events';
import { decodeEvent, encodeEvent } from '../../src/uplink/payloads';

const s = 1000;

export default defineScenarios('app outbox', {
  'a full outbox drops the oldest low-priority events, logs 624 and keeps every alarm': (t) => {
    const host = new SimHost({ wallStart: 1_790_000_000 });
    // Openings and closings that waited through the outage, their log records long rotated out.
    const { outbox: before } = PersistentOutbox.open(host.storage);
    const waiting = before.capacity - 300;
    for (let seq = 1; seq <= waiting; seq++) {
      before.push(seq, encodeEvent({ seq, boot: 1, uptime: seq * 60_000, time: 1_780_000_000 + seq * 60, code: ContactId.openClose, q: seq % 2 ? 1 : 3, user: 1 }), false);
    }
    const first = firstBootConfig('sim1', (n) => host.randomBytes(n));
    // Zone 1 as a panic button: every press is an alarm event that must never be dropped.
    const config = { ...first.config, alarm: { ...first.config.alarm, zones: first.config.alarm.zones.map((z) => (z.number === 1 ? { ...z, type: 'panic' as const, chime: false, modes: [] } : z)) } };
    const panel = host.open(config);
    host.runTo(panel, 1 * s);
    let at = 1 * s;
    for (let i = 0; i < 200; i++) {
      panel.keypad('arm_home', first.masterCode); // 401 and 441 once armed: low priority
      at += 31 * s; host.runTo(panel, at);
      panel.keypad('disarm', first.masterCode);
      if (i % 20 === 0) { // a panic press now and then
        host.set(32, 1); at += 1 * s; host.runTo(panel, at);
        host.set(32, 0); at += 1 * s; host.runTo(panel, at);
      }
    }
    host.runTo(panel, at + 1 * s);
    const { journal } = Journal.open(host.storage);
    const queued = journal.outbox.peek(10_000).map((e) => decodeEvent(e.payload));
    const logged = panel.events(10_000);
    const panics = logged.filter((e) => e.code === 123 && e.q === 1);
    t.is(panics.length, 10, 'ten panic alarms were logged');
    t.is(queued.filter((e) => e.code === 123 && e.q === 1).length, 10, 'all ten are still queued for the broker');
    t.ok(queued.length <= journal.outbox.capacity, 'the outbox stays within its capacity');
    t.ok(logged.some((e) => e.code === 624), '624 (log overflow) was recorded');
    t.ok(queued.some((e) => e.code === 624), 'and it is queued too');
    const seqs = queued.map((e) => e.seq);
    t.ok(seqs.every((q, i) => i === 0 || q > seqs[i - 1]), 'the outbox stays in sequence order');
    t.log('queued', queued.length);
  },
});
