import type { ChildProcess } from 'node:child_process';

/** Signs in through the API and returns the bearer token; throws with the answer when it cannot. */
export async function logIn(graphqlUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u: String!, $p: String!) { logIn(username: $u, password: $p) { ... on AuthPayload { token } } }',
      variables: { u: username, p: password },
    }),
  });
  const body = (await response.json()) as { data?: { logIn?: { token?: string } } };
  const token = body.data?.logIn?.token;
  if (!token) throw new Error(`cannot log in as ${username}: ${JSON.stringify(body)}`);
  return token;
}

/** The gateway's upstream and cache counters from /metrics, by label set. */
export async function scrapeCounters(baseUrl: string): Promise<{ upstream: Record<string, number>; cache: Record<string, number> }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const read = (name: string) => {
    const found: Record<string, number> = {};
    for (const [, labels, value] of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      found[labels!.replace(/"/g, '').replace(/\w+=/g, '').replace(/,/g, '/')] = Number(value);
    }
    return found;
  };
  return { upstream: read('gatherql_upstream_requests_total'), cache: read('gatherql_cache_events_total') };
}

/**
 * Counts the gateway's log lines by message (request lines by status), instead of keeping
 * them: a soak writes hundreds of thousands. The harness keeps all output until the server
 * listens; from then on only these counts are kept.
 */
export function countLogLines(child: ChildProcess): { byMessage(): Record<string, number>; errors(): number } {
  const counts = new Map<string, number>();
  let errors = 0;
  let partial = '';
  child.stdout!.removeAllListeners('data');
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? 'unparsed';
      const key = msg === 'request' ? `request ${/"status":(\d+)/.exec(line)?.[1]}` : msg.replace(/127\.0\.0\.1:\d+/, 'host');
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (/"level":(50|60)/.test(line)) errors += 1;
    }
  });
  return { byMessage: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))), errors: () => errors };
}
