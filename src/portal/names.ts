// The panel answers only to its own names: the addresses it has and the names it is given.
//
// A web page on any other domain can point its name at the panel's address (DNS rebinding):
// the browser then treats the panel as that page's own origin and lets its script read the
// answers. The one thing such a page cannot change is the Host header, which carries the
// page's name, so every HTTP surface of the panel checks it first (421 Misdirected Request)
// and, for a change, that Origin (or Referer) names that same host. One check, used by every
// server: the portal's handlers, the ESP32's server before it reads a body, the Node host's.

/** An answer a request gets before anything else looks at it. */
export interface HeadRefusal {
  status: 421 | 403;
  message: string;
}

/** "Name" without its port, lower case, trailing dot dropped; "[::1]" kept in brackets. Undefined when malformed. */
export function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return undefined;
  const name = m[1].toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The Host header names one of `names` (ports aside). */
export function isOwnHost(host: string | undefined, names: readonly string[]): boolean {
  const name = hostName(host);
  if (name === undefined || name === '') return false;
  for (const own of names) if (hostName(own) === name) return true;
  return false;
}

/** "host:port" of an absolute http(s) URL, lower case, or undefined. */
function originHost(url: string | undefined): string | undefined {
  const m = url === undefined ? null : /^https?:\/\/([^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : undefined;
}

/** The request comes from a page of this host: its Origin (or, lacking one, its Referer) names our Host. */
export function sameOrigin(headers: Record<string, string>): boolean {
  const host = headers.host?.toLowerCase();
  if (!host) return false;
  if (headers.origin !== undefined) return originHost(headers.origin) === host;
  return originHost(headers.referer) === host;
}

/**
 * The check every request of the portal passes before its body is read: the Host is one of
 * ours (else 421), and a change (any method but GET and HEAD) comes from our own page (else 403).
 */
export function checkHead(method: string, headers: Record<string, string>, names: readonly string[]): HeadRefusal | undefined {
  if (!isOwnHost(headers.host, names)) {
    return { status: 421, message: `this panel answers only to its own names and addresses (${names.join(', ')})` };
  }
  if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(headers)) {
    return { status: 403, message: 'the request does not come from this portal (Origin)' };
  }
  return undefined;
}

/** The names of a server reached on loopback only (the Node host's servers). */
export const LOOPBACK_NAMES: readonly string[] = Object.freeze(['127.0.0.1', 'localhost', '[::1]']);
