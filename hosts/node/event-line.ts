// One readable line per panel event, for the terminal and the virtual panel's feed.
// (A stand-in for the monitor's formatter: same input, a PanelEvent, so either can serve.)
import type { PanelEvent } from '../../src/core/events.ts';

/** What a Contact ID code means, for a new event (q 1) and for its restore (q 3). */
const meanings: Record<number, [string, string]> = {
  121: ['duress', 'duress restored'],
  122: ['silent panic', 'silent panic restored'],
  123: ['panic alarm', 'panic restored'],
  130: ['burglary alarm', 'burglary restored'],
  134: ['entry/exit alarm', 'entry/exit restored'],
  137: ['tamper', 'tamper restored'],
  301: ['mains lost', 'mains restored'],
  302: ['battery low', 'battery restored'],
  305: ['panel restart', 'panel restart'],
  306: ['configuration changed', 'configuration changed'],
  350: ['uplink lost', 'uplink restored'],
  370: ['zone trouble', 'zone trouble restored'],
  374: ['exit error', 'exit error restored'],
  401: ['disarmed', 'armed away'],
  441: ['disarmed (home/night)', 'armed home/night'],
  461: ['wrong-code lockout', 'lockout ended'],
  570: ['zone bypassed', 'bypass removed'],
  602: ['test report', 'test report'],
  623: ['log nearly full', 'log space restored'],
  624: ['outbox overflow', 'outbox overflow cleared'],
};

/** "h:mm:ss.s" from milliseconds. */
export function formatUptime(ms: number): string {
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = (s % 60).toFixed(1).padStart(4, '0');
  return `${h}:${String(m).padStart(2, '0')}:${sec}`;
}

/** The meaning of an event's code and qualifier, e.g. "burglary alarm". */
export function eventMeaning(event: Pick<PanelEvent, 'code' | 'q'>): string {
  const pair = meanings[event.code];
  return pair ? pair[event.q === 3 ? 1 : 0] : `event ${event.code}`;
}

/**
 * "#12 E130.1 burglary alarm · zone 1 Front door · boot 2 +0:01:23.4 · 2026-01-01 12:00:00Z"
 * (E = new event, R = restore, as Contact ID writes them).
 */
export function formatEvent(event: PanelEvent, zoneName: (zone: number) => string | undefined = () => undefined): string {
  const parts = [`#${event.seq} ${event.q === 3 ? 'R' : 'E'}${event.code} ${eventMeaning(event)}`];
  if (event.zone !== undefined) {
    const name = zoneName(event.zone);
    parts.push(`zone ${event.zone}${name ? ` ${name}` : ''}`);
  }
  if (event.user !== undefined) parts.push(`user ${event.user}`);
  parts.push(`boot ${event.boot} +${formatUptime(event.uptime)}`);
  if (event.time !== undefined) parts.push(new Date(event.time * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z'));
  return parts.join(' · ');
}
