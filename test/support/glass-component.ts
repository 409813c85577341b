// A kind of input that exists only for test/tables.test.ts: a glass-break detector (a contact
// output, driven as a door is), registered in a copy of the drivers' table and nowhere else.
import type { InputKind } from '../../drivers/components';
import { Door, doorProblems, type DoorConfig } from '../../drivers/door/door';

export const glass = Object.freeze<InputKind<DoorConfig, 'glass'>>({
  kind: 'glass',
  key: 'glass',
  title: 'Glass break',
  problems: (entry: DoorConfig, at: string) => doorProblems(entry, at),
  defaults: Object.freeze([]),
  open: (pins, clock, entry, events) => new Door(pins, clock, entry, events),
  haDeviceClass: 'vibration',
  tile: Object.freeze({ click: 'pulse', pulseMs: 500, open: 'glass BROKEN', closed: 'glass intact' } as const),
});
