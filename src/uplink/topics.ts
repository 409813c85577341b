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
