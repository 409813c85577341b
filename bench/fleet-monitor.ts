// One monitoring station of the fleet run, in a process of its own: MQTT.js, MQTT 5, in the
// shared subscription group `monitors`, so the broker splits the fleet's events between the
// stations. It stamps each arrival with the machine's monotonic clock (the same clock in every
// process), and answers the parent over IPC: 'count' → how many arrived, 'report' → all of them.
//
//   node --import tsx bench/fleet-monitor.ts mqtt://127.0.0.1:PORT NAME   (started by bench/fleet.ts)
import mqtt from 'mqtt';
import { readEvent } from '../test/uplink/subscriber.ts';

export const now = (): number => Number(process.hrtime.bigint() / 1000n) / 1000; // ms, CLOCK_MONOTONIC

const [url, name] = process.argv.slice(2);
if (!url || !name || !process.send) throw new Error('usage: started by bench/fleet.ts with an IPC channel');

/** Flat triples: panel number, event seq, arrival (ms). */
const arrivals: number[] = [];
let bad = 0;

const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `monitor-${name}`, clean: true, reconnectPeriod: 0 });
client.on('message', (topic, payload) => {
  const at = now();
  const panel = Number(/^alarm\/p(\d+)\/event$/.exec(topic)?.[1]);
  try {
    arrivals.push(panel, readEvent(payload).seq, at);
  } catch {
    bad++;
  }
});
await client.subscribeAsync('$share/monitors/alarm/+/event', { qos: 1 });
process.send({ ready: true });

process.on('message', (message) => {
  if (message === 'count') process.send!({ count: arrivals.length / 3 });
  if (message === 'report') process.send!({ name, arrivals, bad });
});
