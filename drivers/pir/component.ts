// The PIR motion detector as a component. Its config list keeps the name `motion` (on flash).
import type { InputKind } from '../components';
import { Motion, motionProblems, type MotionConfig } from './pir';

export const pir = Object.freeze<InputKind<MotionConfig, 'motion'>>({
  kind: 'motion',
  key: 'motion',
  title: 'Motion',
  problems: (entry: MotionConfig, at: string) => motionProblems(entry, at),
  defaults: Object.freeze([Object.freeze({ zone: 2, pin: 27, wiring: 'NC', pull: 'up', warmUpS: 30, holdOffS: 10, pulses: 1, pulseWindowS: 10 } as const)]),
  open: (pins, clock, entry, events) => new Motion(pins, clock, entry, events),
  haDeviceClass: 'motion',
  // A PIR's output pulses: active for a moment, then idle again.
  tile: Object.freeze({ click: 'pulse', pulseMs: 1000, open: 'PIR: motion', closed: 'PIR: quiet' } as const),
});
