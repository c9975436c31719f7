/**
 * What the HTML comment before a fenced block of the docs says about it (see
 * test/docs-examples.test.ts for how each kind of block runs):
 * - `illustrative: <why>`: not run; the reason is for the reader and must be given;
 * - `run by test/<name>.test.ts`: that test runs it (and must read the page);
 * - `run`, `run signed in as <user>`, `run with variables <JSON>` (or both, in that order): a
 *   GraphQL block, sent as that demo user (password `gatherql-demo`) and with those variables;
 * - `run: one request body per line`: a JSON block, each line POSTed to the gateway;
 * - `answer to the block above`: a JSON block, what the block above printed.
 */
export type Marker =
  | { kind: 'none' }
  | { kind: 'illustrative'; why: string }
  | { kind: 'run-by'; test: string }
  | { kind: 'run'; user: string | null; variables: Record<string, unknown> | null }
  | { kind: 'request-bodies' }
  | { kind: 'answer' }
  | { kind: 'unknown'; text: string };

export function readMarker(text: string | null): Marker {
  if (text === null) return { kind: 'none' };
  const illustrative = /^illustrative:\s*(.*)$/s.exec(text);
  if (illustrative) return { kind: 'illustrative', why: illustrative[1]!.trim() };
  const runBy = /^run by (test\/[\w.-]+\.test\.ts)$/.exec(text);
  if (runBy) return { kind: 'run-by', test: runBy[1]! };
  if (text === 'run: one request body per line') return { kind: 'request-bodies' };
  if (text === 'answer to the block above') return { kind: 'answer' };
  const run = /^run(?: signed in as ([\w.]+))?(?: with variables (\{.*\}))?$/s.exec(text);
  if (run) {
    let variables: Record<string, unknown> | null = null;
    try {
      if (run[2]) variables = JSON.parse(run[2]);
    } catch {
      return { kind: 'unknown', text };
    }
    return { kind: 'run', user: run[1] ?? null, variables };
  }
  return { kind: 'unknown', text };
}

/** Stands for `…` in an expected answer: any value, or none. */
const ANY = '\u0000any';

/**
 * An expected answer as the docs write it: JSON where `…` stands for whatever comes there
 * (`"…"`, `{…}` or `[…]`; a key whose value is `…` may also be absent). Null when it is not JSON.
 */
export function readExpected(text: string): unknown {
  const json = text.replace(/\{…\}|\[…\]|"…"|…/g, JSON.stringify(ANY));
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** Where `actual` differs from `expected` (read by readExpected), or null when it matches. */
export function difference(expected: unknown, actual: unknown, path = '$'): string | null {
  if (expected === ANY) return null;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`;
    for (const [index, item] of expected.entries()) {
      const found = difference(item, actual[index], `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    const wanted = expected as Record<string, unknown>;
    const got = actual as Record<string, unknown>;
    for (const key of Object.keys(got)) if (!(key in wanted)) return `${path}.${key}: not in the docs, got ${JSON.stringify(got[key])}`;
    for (const [key, value] of Object.entries(wanted)) {
      if (!(key in got)) {
        if (value === ANY) continue;
        return `${path}.${key}: missing`;
      }
      const found = difference(value, got[key], `${path}.${key}`);
      if (found) return found;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: the docs say ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
