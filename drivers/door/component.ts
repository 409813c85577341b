// The door (or window) contact as a component: its config, defaults, driver, HA class, tile.
import type { InputKind } from '../components';
import { Door, doorProblems, type DoorConfig } from './door';

export const door = Object.freeze<InputKind<DoorConfig, 'doors'>>({
  kind: 'door',
  key: 'doors',
  title: 'Door',
  problems: (entry: DoorConfig, at: string) => doorProblems(entry, at),
  defaults: Object.freeze([Object.freeze({ zone: 1, pin: 32, wiring: 'NC', pull: 'up', debounceMs: 50, tamperPin: 33 } as const)]),
  open: (pins, clock, entry, events) => new Door(pins, clock, entry, events),
  haDeviceClass: 'door',
  tile: Object.freeze({ click: 'toggle', open: 'door OPEN', closed: 'door closed' } as const),
});
