// Fuzz: random and mutated broker-to-panel bytes, on Node and inside XS. The session must
// never throw, never hang (every loop here is bounded), always come back to connected, and
// deliver every event of the outbox in the end.
import { defineScenarios } from '../../hosts/xs/probe';
import { Uplink } from '../../src/uplink/uplink';
import { decodeEvent } from '../../src/uplink/payloads';
import { encodePacket, payload, type Packet, type ProtocolVersion } from '../../src/uplink/packets';
import { ContactId, Qualifier } from '../../src/core/events';
import { MemoryBroker, SimTime } from '../support/memory-mqtt';
import { MemoryOutbox } from '../support/memory-outbox';
import { seeded } from '../../hosts/xs/seeded';


const CMD = 'alarm/a1b2c3/cmd';

/** Valid broker-to-panel packets: the raw material of the mutations. */
function samples(version: ProtocolVersion, int: (n: number) => number): Uint8Array[] {
  const id = 1 + int(12);
  const packets: Packet[] = [
    (version === 5 ? { cmd: 'connack', sessionPresent: true, reasonCode: 0 } : { cmd: 'connack', sessionPresent: true, returnCode: 0 }) as Packet,
    { cmd: 'puback', messageId: id } as Packet,
    { cmd: 'puback', messageId: id, reasonCode: 0x10 } as Packet,
    { cmd: 'suback', messageId: id, granted: [1] } as Packet,
    { cmd: 'pingresp' },
    { cmd: 'publish', topic: CMD, qos: 1, messageId: id, retain: false, dup: false, payload: payload(new Uint8Array([0xd1, 0x84, 0x40, 0xa0])) } as Packet,
    { cmd: 'publish', topic: CMD, qos: 0, retain: false, dup: false, payload: payload(new Uint8Array([1, 2, 3])) } as Packet,
    { cmd: 'unsuback', messageId: id, granted: [0] } as Packet,
    { cmd: 'disconnect', reasonCode: 0x8b } as Packet,
  ];
  return packets.map((p) => encodePacket(p, version));
}

function mutate(wire: Uint8Array, rand: () => number, int: (n: number) => number): Uint8Array {
  const out = Array.from(wire);
  const edits = 1 + int(3);
  for (let i = 0; i < edits; i++) {
    const at = int(out.length + 1);
    switch (int(5)) {
      case 0: if (out.length) out[at % out.length] ^= 1 << int(8); break; // flip a bit
      case 1: out[at % Math.max(out.length, 1)] = int(256); break;      // replace a byte
      case 2: out.splice(at, 0, int(256)); break;                        // insert a byte
      case 3: out.splice(at, 1 + int(3)); break;                         // delete bytes
      default: out.length = Math.min(out.length, at); break;             // truncate
    }
  }
  if (out.length === 0 || rand() < 0.1) out.push(int(256));
  return new Uint8Array(out);
}

export default defineScenarios('uplink fuzz', {
  'random and mutated broker bytes: no throw, no hang, always back to connected, no event lost': (t) => {
    const rand = seeded(0x5eed);
    const int = (n: number) => Math.floor(rand() * n);
    for (const version of [5, 4] as const) {
      const broker = new MemoryBroker({ versions: version === 5 ? [4, 5] : [4] });
      const outbox = new MemoryOutbox();
      const time = new SimTime();
      let commands = 0;
      let threw = 0;
      const session = new Uplink(
        { host: 'fuzz.test', port: 1883, clientId: 'panel-a1b2c3', panelId: 'a1b2c3', keepalive: 20, window: 4 },
        { connect: broker.connect, outbox, random: seeded(version), onCommand: () => { commands++; } },
      );
      const up = () => session.info().up && broker.open;
      const drive = (done: () => boolean, steps: number) => {
        try { return time.run(session, done, 600_000, steps); } catch { threw++; return false; }
      };
      t.ok(drive(up, 50), `v${version}: up at first`);

      const rounds = 300;
      let stayedUp = 0;
      let recovered = 0;
      let added = 0;
      for (let i = 0; i < rounds; i++) {
        outbox.addEvent({ code: ContactId.burglary, q: Qualifier.new, zone: 1 + (i % 8) });
        added++;
        // Half the rounds hold PUBACKs back, so that events are in flight when the bytes hit.
        broker.holdAcks = rand() < 0.5;
        const links = broker.linkCount;
        const wire = rand() < 0.3
          ? new Uint8Array(Array.from({ length: 1 + int(48) }, () => int(256)))
          : mutate(samples(broker.version, int)[int(9)], rand, int);
        broker.inject(wire);
        try { session.tick(time.now); } catch { threw++; }
        broker.holdAcks = false;
        broker.releaseAcks();
        // Recovered means working, not just connected: a stream left out of step by a partial
        // packet swallows PUBACKs until the dead-link timeout, so wait for the outbox to drain.
        if (drive(() => up() && outbox.size() === 0, 100)) {
          if (broker.linkCount === links) stayedUp++;
          else recovered++;
        }
      }
      t.is(threw, 0, `v${version}: the session never threw`);
      t.is(stayedUp + recovered, rounds, `v${version}: connected, outbox drained, after every one of ${rounds} rounds`);
      const delivered = new Set(broker.eventsOn('alarm/a1b2c3/event').map((p) => decodeEvent(p.payload).seq));
      t.is(delivered.size, added, `v${version}: every event reached the broker`);
      t.is(new Set(outbox.acked).size, outbox.acked.length, `v${version}: each acknowledged once`);
      t.is(session.info().protocol, version, `v${version}: still on MQTT ${version === 5 ? 5 : '3.1.1'}`);
      t.log(`v${version}: stayed up / reconnected / commands handed over`, [stayedUp, recovered, commands]);
    }
  },
});
