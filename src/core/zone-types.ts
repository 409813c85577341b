// The zone types, in ONE table: what each type does, as attributes. The core (alarms,
// arming, zones, settings) and the uplink read these attributes, never a type's name: a new
// type is one line here. The order is the order types are listed in (messages, the portal).
import type { ArmedMode } from './settings';

export interface ZoneTypeRules {
  /** What an opening is: an intrusion (only while watched and armed), a tamper (137) or a panic (123, or 122 when silent). */
  readonly opening: 'intrusion' | 'tamper' | 'panic';
  /**
   * An entry/exit door: opening while armed starts the entry delay (134 at once while
   * triggered); open when the exit delay ends, an exit error (374); may be open when arming
   * with an exit delay.
   */
  readonly entry: boolean;
  /** Quiet while an entry delay runs: the way from the door to the keypad (an interior zone). */
  readonly followsEntry: boolean;
  /** 24-hour: watched in every state, whatever the modes (a zone of such a type lists every mode). */
  readonly always: boolean;
  /** The armed modes a zone is watched in unless it lists its own; undefined: every armed mode. */
  readonly defaultModes?: readonly ArmedMode[];
  /** An open zone of this type keeps the panel from arming (while watched in that mode). */
  readonly blocksArming: boolean;
  /** May be bypassed, by hand or by swinger shutdown (a panic button must always work). */
  readonly bypassable: boolean;
  /** Takes `chime`: a tone when it opens while disarmed. */
  readonly chime: boolean;
  /** Takes `silent`: a panic that reports 122 and keeps the siren quiet. */
  readonly silent: boolean;
  /** Takes `sirenWhenDisarmed`: the siren for its tamper while disarmed (otherwise a local warning). */
  readonly sirenWhenDisarmed: boolean;
}

const intrusion = { opening: 'intrusion', entry: false, followsEntry: false, always: false, blocksArming: true, bypassable: true, chime: false, silent: false, sirenWhenDisarmed: false } as const;

const rules = <T extends ZoneTypeRules>(r: T): T => Object.freeze(r);

export const zoneTypeRules = Object.freeze({
  /** Entry/exit door. */
  delayed: rules({ ...intrusion, entry: true, chime: true }),
  /** Interior PIR: watched when away. */
  follower: rules({ ...intrusion, followsEntry: true, defaultModes: Object.freeze(['armed_away'] as const) }),
  /** Perimeter: an alarm at once, even during the entry delay. */
  instant: rules({ ...intrusion, chime: true }),
  /** Tamper loop, enclosure. */
  '24h': rules({ ...intrusion, opening: 'tamper', always: true, sirenWhenDisarmed: true }),
  /** Panic button. */
  panic: rules({ ...intrusion, opening: 'panic', always: true, blocksArming: false, bypassable: false, silent: true }),
});

export type ZoneType = keyof typeof zoneTypeRules;

/** Every zone type, in the table's order. */
export const zoneTypes = Object.freeze(Object.keys(zoneTypeRules)) as readonly ZoneType[];

export const zoneType = (type: ZoneType): ZoneTypeRules => zoneTypeRules[type];

/** The types that have `attribute`, in the table's order: for messages ("only delayed and instant zones chime"). */
export const typesWith = (attribute: 'chime' | 'silent' | 'sirenWhenDisarmed'): ZoneType[] =>
  zoneTypes.filter((t) => zoneTypeRules[t][attribute]);
