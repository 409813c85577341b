// Scenarios: written once, run on Node and inside real XS, compared line for line.
//
// A scenario drives firmware code and checks it through a Probe. Every check and every
// logged value lands in a transcript; the conformance suite requires the Node and XS
// transcripts of a scenario to be identical. Plain ECMAScript only: this runs in xsnap.

export interface Probe {
  /** Adds a value to the transcript (compared between engines). */
  log(label: string, value: unknown): void;
  /** Strict equality for primitives; structural (via `show`) for anything else. */
  is(actual: unknown, expected: unknown, what: string): void;
  ok(condition: boolean, what: string): void;
  /** Expects `fn` to throw an error whose message matches `pattern`; returns that message. */
  throws(fn: () => unknown, pattern: RegExp, what: string): string;
}

export type Scenario = (t: Probe) => void | Promise<void>;

export interface ScenarioGroup {
  group: string;
  scenarios: Record<string, Scenario>;
}

export interface ScenarioResult {
  name: string;
  checks: number;
  failures: string[];
  transcript: string[];
}

export function defineScenarios(group: string, scenarios: Record<string, Scenario>): ScenarioGroup {
  return { group, scenarios };
}

const hex = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
};

/** A canonical, engine-independent rendering of a value. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint': return `${value}n`;
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'string': return JSON.stringify(value);
    case 'boolean': return String(value);
    case 'function': return 'function';
    case 'symbol': return String(value);
  }
  if (value instanceof Uint8Array) return `h'${hex(value)}'`;
  if (value instanceof Error) return `${value.name}(${JSON.stringify(value.message)})`;
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (value instanceof Map) return `Map{${[...value].map(([k, v]) => `${show(k)}=>${show(v)}`).join(',')}}`;
  if (value instanceof Set) return `Set{${[...value].map(show).join(',')}}`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).map((k) => `${k}:${show(obj[k])}`).join(',')}}`;
}

export async function runScenario(name: string, scenario: Scenario): Promise<ScenarioResult> {
  const transcript: string[] = [];
  const failures: string[] = [];
  let checks = 0;
  const check = (pass: boolean, what: string, detail: string) => {
    checks++;
    transcript.push(`${pass ? 'ok' : 'FAIL'} ${what}`);
    if (!pass) failures.push(`${what}: ${detail}`);
  };
  const probe: Probe = {
    log(label, value) { transcript.push(`${label} = ${show(value)}`); },
    is(actual, expected, what) {
      const primitive = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');
      const pass = primitive(actual) && primitive(expected) ? Object.is(actual, expected) : show(actual) === show(expected);
      check(pass, what, `got ${show(actual)}, expected ${show(expected)}`);
    },
    ok(condition, what) { check(condition === true, what, `got ${show(condition)}`); },
    throws(fn, pattern, what) {
      try {
        fn();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        check(pattern.test(message), what, `threw ${JSON.stringify(message)}, expected ${pattern}`);
        return message;
      }
      check(false, what, `did not throw (expected ${pattern})`);
      return '';
    },
  };
  try {
    await scenario(probe);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    transcript.push(`THREW ${message}`);
    failures.push(`threw ${message}`);
  }
  return { name, checks, failures, transcript };
}

/** Runs every scenario of every group, in order; `emit` receives one JSON line per scenario. */
export async function runAll(groups: ScenarioGroup[], emit: (line: string) => void): Promise<void> {
  for (const { group, scenarios } of groups) {
    for (const name of Object.keys(scenarios)) {
      const result = await runScenario(`${group} › ${name}`, scenarios[name]);
      emit(JSON.stringify(result));
    }
  }
  emit(JSON.stringify({ done: true }));
}
