// Inside XS (bundled by bench/profile.ts): the xs-panel harness, and a method profiler over the
// panel's classes — each prototype method wrapped to add up the computrons spent inside it
// (inclusive; a wrapped call costs a few hundred more, so read the figures as shares).
import { meter } from './xs-panel-harness';
import { Panel } from '../src/app';
import { Journal } from '../src/store/journal';
import { EventLog } from '../src/store/event-log';
import { StateStore } from '../src/store/state';
import * as outbox from '../src/store/outbox';
import { StateEncoder } from '../src/uplink/payloads';
import { Uplink } from '../src/uplink/uplink';
import * as connection from '../src/uplink/connection';
import { Sealer } from '../src/uplink/sealer';
import { HaBridge } from '../src/uplink/ha-bridge';
import { RemoteCommands } from '../src/uplink/remote-commands';
import { Scheduler } from '../src/scheduler';
import { SimHost } from '../hosts/xs/sim-host';
import { MemoryStorage } from '../hosts/xs/memory-storage';
import { Drivers } from '../drivers/config';
import { DebouncedInput } from '../drivers/input';
import { Door } from '../drivers/door/door';
import { Siren } from '../drivers/siren/siren';

const totals = new Map<string, { calls: number; computrons: number }>();
/** The methods as they were, while wrapped: put back by `profileOff`, so unprofiled calls cost what they cost. */
const originals: Array<{ proto: Record<string, unknown>; key: string; f: unknown }> = [];

function wrap(name: string, proto: Record<string, unknown>, key: string): void {
  const d = Object.getOwnPropertyDescriptor(proto, key);
  if (!d || typeof d.value !== 'function') return;
  const f = d.value as (...args: unknown[]) => unknown;
  originals.push({ proto, key, f });
  proto[key] = function (this: unknown, ...args: unknown[]) {
    const from = meter();
    try {
      return f.apply(this, args);
    } finally {
      const t = totals.get(`${name}.${key}`) ?? { calls: 0, computrons: 0 };
      t.calls++;
      t.computrons += meter() - from;
      totals.set(`${name}.${key}`, t);
    }
  };
}

const classes: Record<string, unknown> = {
  Panel, Journal, EventLog, StateStore, StateEncoder, Uplink, Sealer, HaBridge, RemoteCommands, Scheduler, SimHost,
  MemoryStorage, Drivers, DebouncedInput, Door, Siren, ...outbox, ...connection,
};

const bench = (globalThis as unknown as { bench: Record<string, (...args: unknown[]) => unknown> }).bench;
bench.profileOn = () => {
  totals.clear();
  for (const [name, C] of Object.entries(classes)) {
    const proto = typeof C === 'function' ? (C as { prototype?: Record<string, unknown> }).prototype : undefined;
    if (proto) for (const key of Object.getOwnPropertyNames(proto)) if (key !== 'constructor') wrap(name, proto, key);
  }
  return 1;
};
bench.profileOff = () => {
  for (const { proto, key, f } of originals.splice(0)) proto[key] = f;
  return 1;
};
bench.profile = () => [...totals].sort((a, b) => b[1].computrons - a[1].computrons)
  .map(([key, t]) => ({ method: key, calls: t.calls, computrons: t.computrons }));
