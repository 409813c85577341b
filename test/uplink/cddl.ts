// A small CDDL (RFC 8610) checker: enough of the language to validate payloads against the
// wire contract as written, not against a copy of it in a test.
//
// Supported: rules `name = type`; choices `/`; literals (integers, floats, text); the prelude
// types (uint, nint, int, float, tstr/text, bstr/bytes, bool, true, false, nil/null, any);
// ranges `a..b` / `a...b`; controls .ge .gt .le .lt .size; maps `{ }` with `key: type`,
// `key => type`, `key ^ => type` (cut) and occurrences `?`, `*`, `+`, `n*m`; arrays `[ ]`;
// parenthesised types. Not supported (refused when parsing): groups as rules, sockets,
// generics, tags, `&` enumerations. Values are checked as cbor2 decodes them.

type Occur = { min: number; max: number };
type Type =
  | { t: 'choice'; options: Type[] }
  | { t: 'lit'; value: number | string }
  | { t: 'ref'; name: string }
  | { t: 'map'; entries: Entry[] }
  | { t: 'array'; entries: Entry[] }
  | { t: 'range'; lo: Type; hi: Type; exclusive: boolean }
  | { t: 'ctl'; base: Type; op: string; arg: Type };
interface Entry { occur: Occur; key?: Type; cut: boolean; value: Type }

const token = /\s*(?:(;[^\n]*)|("(?:[^"\\]|\\.)*")|(-?\d+\.\d+|-?0x[0-9a-fA-F]+|-?\d+)|(\.\.\.|\.\.|=>|\/\/|[=/(){}[\],:^?*+])|(\.[a-z]+)|([A-Za-z@_$][A-Za-z0-9@_$.-]*[A-Za-z0-9@_$]|[A-Za-z@_$]))/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  token.lastIndex = 0;
  for (;;) {
    const start = token.lastIndex;
    const m = token.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(start))) return out;
      throw new Error(`CDDL: cannot read "${text.slice(start, start + 20)}"`);
    }
    if (m[1] === undefined) out.push(m[0].trim());
  }
}

export class Cddl {
  readonly rules = new Map<string, Type>();

  constructor(text: string) {
    const toks = tokenize(text);
    let i = 0;
    const peek = () => toks[i];
    const next = () => toks[i++];
    const expect = (s: string) => { if (toks[i] !== s) throw new Error(`CDDL: expected ${s} at "${toks.slice(i, i + 5).join(' ')}"`); i++; };
    const isName = (s: string | undefined) => s !== undefined && /^[A-Za-z@_$]/.test(s);

    const type = (): Type => {
      const options = [type1()];
      while (peek() === '/') { next(); options.push(type1()); }
      return options.length === 1 ? options[0] : { t: 'choice', options };
    };
    const type1 = (): Type => {
      const base = type2();
      if (peek() === '..' || peek() === '...') return { t: 'range', lo: base, exclusive: next() === '...', hi: type2() };
      if (peek()?.startsWith('.') && /^\.[a-z]+$/.test(peek()!)) return { t: 'ctl', base, op: next().slice(1), arg: type2() };
      return base;
    };
    const type2 = (): Type => {
      const s = next();
      if (s === undefined) throw new Error('CDDL: unexpected end');
      if (s.startsWith('"')) return { t: 'lit', value: JSON.parse(s) };
      if (/^-?\d/.test(s)) return { t: 'lit', value: Number(s) };
      if (s === '{') { const entries = group('}'); return { t: 'map', entries }; }
      if (s === '[') { const entries = group(']'); return { t: 'array', entries }; }
      if (s === '(') { const inner = type(); expect(')'); return inner; }
      if (isName(s)) return { t: 'ref', name: s };
      throw new Error(`CDDL: unsupported "${s}"`);
    };
    const occur = (): Occur => {
      const s = peek();
      if (s === '?') { next(); return { min: 0, max: 1 }; }
      if (s === '+') { next(); return { min: 1, max: Infinity }; }
      if (s === '*') { next(); return { min: 0, max: Infinity }; }
      if (/^\d+$/.test(s ?? '') && toks[i + 1] === '*') {
        const min = Number(next()); next();
        const max = /^\d+$/.test(peek() ?? '') ? Number(next()) : Infinity;
        return { min, max };
      }
      return { min: 1, max: 1 };
    };
    const group = (close: string): Entry[] => {
      const entries: Entry[] = [];
      while (peek() !== close) {
        const o = occur();
        let key: Type | undefined;
        let cut = false;
        let value: Type;
        if ((isName(peek()) || /^["\d-]/.test(peek() ?? '')) && toks[i + 1] === ':') {
          const k = next();
          key = isName(k) ? { t: 'lit', value: k } : type2FromToken(k);
          next();
          cut = true; // the colon form always cuts
          value = type();
        } else {
          const first = type1();
          if (peek() === '^' || peek() === '=>') {
            if (peek() === '^') { next(); cut = true; }
            expect('=>');
            key = first;
            value = type();
          } else {
            value = first;
            while (peek() === '/') { next(); value = { t: 'choice', options: [value, type1()] }; }
          }
        }
        entries.push({ occur: o, key, cut, value });
        if (peek() === ',') next();
      }
      next();
      return entries;
    };
    const type2FromToken = (s: string): Type => (s.startsWith('"') ? { t: 'lit', value: JSON.parse(s) } : { t: 'lit', value: Number(s) });

    while (i < toks.length) {
      const name = next();
      if (!isName(name)) throw new Error(`CDDL: expected a rule name, got "${name}"`);
      expect('=');
      this.rules.set(name, type());
    }
  }

  /** Why `value` does not match rule `name`, or undefined when it does. */
  check(name: string, value: unknown): string | undefined {
    const rule = this.rules.get(name);
    if (!rule) throw new Error(`CDDL: no rule ${name}`);
    return this.match(rule, value, name);
  }

  private resolve(t: Type): Type {
    for (let n = 0; t.t === 'ref' && this.rules.has(t.name) && n < 50; n++) t = this.rules.get(t.name)!;
    return t;
  }

  private literal(t: Type): number | string {
    const r = this.resolve(t);
    if (r.t !== 'lit') throw new Error('CDDL: a range or control needs a literal');
    return r.value;
  }

  private match(t: Type, v: unknown, path: string): string | undefined {
    const no = (what: string) => `${path}: ${what}, got ${describe(v)}`;
    switch (t.t) {
      case 'lit':
        return (typeof v === 'bigint' ? Number(v) : v) === t.value ? undefined : no(`expected ${JSON.stringify(t.value)}`);
      case 'choice': {
        const whys = t.options.map((o) => this.match(o, v, path));
        return whys.some((w) => w === undefined) ? undefined : whys[whys.length - 1];
      }
      case 'range': {
        const n = num(v);
        const lo = this.literal(t.lo) as number;
        const hi = this.literal(t.hi) as number;
        return n !== undefined && n >= lo && (t.exclusive ? n < hi : n <= hi) ? undefined : no(`expected ${lo}..${hi}`);
      }
      case 'ctl': {
        const base = this.match(t.base, v, path);
        if (base) return base;
        const arg = this.literal(t.arg) as number;
        const n = t.op === 'size' ? size(v) : num(v);
        if (n === undefined) return no(`.${t.op} needs a number`);
        const ok = { ge: n >= arg, gt: n > arg, le: n <= arg, lt: n < arg, size: n <= arg }[t.op];
        if (ok === undefined) throw new Error(`CDDL: control .${t.op} not supported`);
        return ok ? undefined : no(`.${t.op} ${arg}`);
      }
      case 'ref': {
        const prelude = this.prelude(t.name, v);
        if (prelude !== undefined) return prelude ? undefined : no(`expected ${t.name}`);
        const rule = this.rules.get(t.name);
        if (!rule) throw new Error(`CDDL: unknown rule ${t.name}`);
        return this.match(rule, v, `${path}>${t.name}`);
      }
      case 'map': return this.matchMap(t.entries, v, path);
      case 'array': return this.matchArray(t.entries, v, path);
    }
  }

  /** true/false for prelude names, undefined for anything else. */
  private prelude(name: string, v: unknown): boolean | undefined {
    const int = (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
    switch (name) {
      case 'any': return true;
      case 'uint': return int && (v as number) >= 0;
      case 'nint': return int && (v as number) < 0;
      case 'int': return int;
      case 'float': case 'float16': case 'float32': case 'float64': case 'number': return typeof v === 'number';
      case 'tstr': case 'text': return typeof v === 'string';
      case 'bstr': case 'bytes': return v instanceof Uint8Array;
      case 'bool': return typeof v === 'boolean';
      case 'true': return v === true;
      case 'false': return v === false;
      case 'nil': case 'null': return v === null;
      default: return undefined;
    }
  }

  private matchMap(entries: Entry[], v: unknown, path: string): string | undefined {
    const pairs = mapEntries(v);
    if (!pairs) return `${path}: expected a map, got ${describe(v)}`;
    const counts = entries.map(() => 0);
    for (const [k, val] of pairs) {
      let placed = false;
      for (let e = 0; e < entries.length && !placed; e++) {
        const entry = entries[e];
        if (!entry.key || this.match(entry.key, k, path) !== undefined) continue;
        const why = this.match(entry.value, val, `${path}[${JSON.stringify(k)}]`);
        if (why === undefined) { counts[e]++; placed = true; } else if (entry.cut) return why;
      }
      if (!placed) return `${path}: key ${JSON.stringify(k)} is not allowed here`;
    }
    for (let e = 0; e < entries.length; e++) {
      const { min, max } = entries[e].occur;
      if (counts[e] < min || counts[e] > max) return `${path}: key ${describeKey(entries[e].key)} occurs ${counts[e]} times`;
    }
    return undefined;
  }

  private matchArray(entries: Entry[], v: unknown, path: string): string | undefined {
    if (!Array.isArray(v)) return `${path}: expected an array, got ${describe(v)}`;
    let at = 0;
    for (const entry of entries) {
      let n = 0;
      while (n < entry.occur.max && at < v.length && this.match(entry.value, v[at], `${path}[${at}]`) === undefined) { at++; n++; }
      if (n < entry.occur.min) return `${path}[${at}]: ${this.match(entry.value, v[at], path) ?? 'missing'}`;
    }
    return at === v.length ? undefined : `${path}[${at}]: not allowed here`;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}
function size(v: unknown): number | undefined {
  if (typeof v === 'string') return new TextEncoder().encode(v).length;
  if (v instanceof Uint8Array) return v.length;
  return undefined;
}
function mapEntries(v: unknown): Array<[unknown, unknown]> | undefined {
  if (v instanceof Map) return [...v];
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) return Object.entries(v);
  return undefined;
}
function describe(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v instanceof Map) return 'a map';
  if (typeof v === 'bigint') return `${v}n`;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}
function describeKey(t: Type | undefined): string {
  if (!t) return '(group)';
  return t.t === 'lit' ? JSON.stringify(t.value) : t.t === 'ref' ? t.name : t.t;
}
