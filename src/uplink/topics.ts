// The panel's MQTT topics: {prefix}/{panel id}/{status|state|event|cmd|reply|log}.

export interface Topics {
  /** "online" / "offline", retained: birth message and last will. */
  status: string;
  /** CBOR state snapshot, retained. */
  state: string;
  /** CBOR events, QoS 1, never retained. */
  event: string;
  /** COSE_Mac0 commands to the panel. */
  cmd: string;
  /** CBOR replies to commands. */
  reply: string;
  /** The event log exported by command, in numbered CBOR chunks (log-export.ts). */
  log: string;
  /** The panel's current command nonce (nonce.ts), retained. */
  nonce: string;
}

/** Why a prefix or panel id cannot name topics, or undefined when it can. */
export function topicProblem(prefix: string, panelId: string): string | undefined {
  if (typeof prefix !== 'string' || prefix.length === 0) return 'the topic prefix is empty';
  if (/[+#\u0000]/.test(prefix)) return `the topic prefix "${prefix}" contains a wildcard or NUL`;
  if (prefix.startsWith('$')) return `the topic prefix "${prefix}" starts with $, reserved for brokers`;
  if (prefix.startsWith('/') || prefix.endsWith('/') || prefix.includes('//')) return `the topic prefix "${prefix}" has an empty level`;
  if (typeof panelId !== 'string' || panelId.length === 0) return 'the panel id is empty';
  if (/[/+#\u0000]/.test(panelId)) return `the panel id "${panelId}" contains /, a wildcard or NUL`;
  return undefined;
}

export function topicsFor(prefix: string, panelId: string): Topics {
  const problem = topicProblem(prefix, panelId);
  if (problem) throw new Error(problem);
  const base = `${prefix}/${panelId}/`;
  return { status: base + 'status', state: base + 'state', event: base + 'event', cmd: base + 'cmd', reply: base + 'reply', log: base + 'log', nonce: base + 'nonce' };
}

/** A topic name a client may publish to: not empty, no wildcard, no NUL, not $-reserved. */
export function isTopicName(topic: string): boolean {
  return typeof topic === 'string' && topic.length > 0 && topic.length <= 1024 && !/[+#\u0000]/.test(topic) && !topic.startsWith('$');
}

/** A topic filter: `+` only as a whole level, `#` only as the whole last level. */
export function isTopicFilter(filter: unknown): filter is string {
  if (typeof filter !== 'string' || filter.length === 0 || filter.length > 1024 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (!l.includes('+') || l === '+') && (!l.includes('#') || (l === '#' && i === levels.length - 1)));
}

/** Whether `topic` matches `filter` (MQTT wildcards; `$` topics never match a leading wildcard). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
