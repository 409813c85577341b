// The siren output as a component: its config, defaults and driver.
import type { OutputComponent } from '../components';
import { Siren, sirenProblems, type SirenConfig } from './siren';

export const siren = Object.freeze<OutputComponent>({
  key: 'siren',
  problems: (config: SirenConfig, at: string) => sirenProblems(config, at),
  defaults: Object.freeze({ pin: 25, activeLow: false, maxOnS: 900 }),
  open: (pins, clock, config, events) => new Siren(pins, clock, config, events),
});
