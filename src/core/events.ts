// The event vocabulary: Ademco Contact ID codes, as the panel logs and reports them.

export const ContactId = Object.freeze({
  duress: 121,
  silentPanic: 122,
  audiblePanic: 123,
  burglary: 130,
  entryExit: 134,
  tamper: 137,
  mainsLoss: 301,
  lowBattery: 302,
  restart: 305,
  configChanged: 306,
  uplinkTrouble: 350,
  zoneTrouble: 370,
  exitError: 374,
  openClose: 401,
  armedStay: 441,
  lockout: 461,
  bypass: 570,
  testReport: 602,
  logNearlyFull: 623,
  logOverflow: 624,
} as const);

export type ContactIdCode = (typeof ContactId)[keyof typeof ContactId];

const known = new Set<number>(Object.values(ContactId));
export const isContactIdCode = (code: number): code is ContactIdCode => known.has(code);

/** Contact ID qualifier: 1 = new event / opening (disarm), 3 = restore / closing (arm). */
export const Qualifier = Object.freeze({ new: 1, restore: 3 } as const);
export type Qualifier = (typeof Qualifier)[keyof typeof Qualifier];

export interface PanelEvent {
  /** Monotonic per panel, never reused, survives reboot. */
  seq: number;
  /** Boot count at the time of the event. */
  boot: number;
  /** Milliseconds since this boot. */
  uptime: number;
  /** Wall time in Unix seconds, when the clock has been set (SNTP); absent otherwise. */
  time?: number;
  code: ContactIdCode;
  q: Qualifier;
  /** Zone number (1-based) for zone events. */
  zone?: number;
  /** User number (1-based) for open/close, duress, lockout and similar. */
  user?: number;
}

/** Alarm, tamper, panic and duress: events an outbox may never drop to make room. */
const alarms = new Set<number>([
  ContactId.duress, ContactId.silentPanic, ContactId.audiblePanic, ContactId.burglary,
  ContactId.entryExit, ContactId.tamper,
]);
export const isAlarmEvent = (e: Pick<PanelEvent, 'code'>): boolean => alarms.has(e.code);
