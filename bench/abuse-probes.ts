// `npx tsx bench/abuse-probes.ts`: the probes of SECURITY.md ("Abuse") against `server.ts` as it
// runs in production (NODE_ENV=production, default limits), on the local simulator. Prints what
// each probe got; the verdicts live in test/abuse.test.ts, the figures here.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../simulator/simulator.js';
import { upstreamEnv } from './harness/gateway-start.js';
import { freePort, startServer } from './harness/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'gatherql-abuse-'));
const sim = await startSimulator({ faults: [{ fault: { kind: 'latency', ms: 50 } }] });
const port = await freePort();
const server = await startServer(
  'gatherql',
  'server.ts',
  {
    PORT: String(port),
    NODE_ENV: 'production',
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    DATABASE_URL: `file:${join(dir, 'abuse.sqlite')}`,
    ...upstreamEnv(sim),
    // The simulator is not Open-Meteo: only the per-client limits are probed here.
    OPEN_METEO_QUOTA: 'off',
    LOG_LEVEL: 'warn',
  },
  { url: `http://127.0.0.1:${port}/graphql`, readyUrl: `http://127.0.0.1:${port}/health` },
);

const post = async (body: unknown) => {
  const started = performance.now();
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as any;
  return { status: response.status, headers: response.headers, body: json, ms: performance.now() - started };
};

try {
  // 1. One HTTP request: a batch of 10 operations x 4 aliased weather fields x 50 distinct cities.
  sim.resetCalls();
  const operation = (n: number) => ({
    query: `{ ${Array.from({ length: 4 }, (_, f) => `f${f}: weather(cities: [${Array.from({ length: 50 }, (_, c) => `"Nowhere ${n}-${f}-${c}"`).join(',')}]) { __typename ... on WeatherError { code } }`).join(' ')} }`,
  });
  const batch = await post(Array.from({ length: 10 }, (_, n) => operation(n)));
  const codes = (batch.body as any[]).flatMap((result) => Object.values(result.data ?? {}).flat()).map((item: any) => item.code);
  const answered: Record<string, number> = {};
  for (const code of codes) answered[code] = (answered[code] ?? 0) + 1;
  console.log(
    JSON.stringify({
      probe: 'batch of 10 x 4 x 50 cities',
      status: batch.status,
      rateLimitRemaining: batch.headers.get('ratelimit-remaining'),
      upstreamCalls: sim.calls().geocoding + sim.calls().forecast,
      answered,
      ms: Math.round(batch.ms),
    }),
  );

  // 2 and 3. Password guessing: 10 requests of 10 batched logIns, with a posts query and a cold
  // weather query in the middle of it, against their times without the storm.
  const baseline = {
    posts: (await post({ query: '{ posts(first: 5) { totalCount } }' })).ms,
    weather: (await post({ query: '{ weather(cities: ["Oslo"]) { __typename } }' })).ms,
  };
  const LOG_IN = 'mutation ($u: String!, $p: String!) { logIn(username: $u, password: $p) { __typename } }';
  const started = performance.now();
  const storm = Array.from({ length: 10 }, () => post(Array.from({ length: 10 }, () => ({ query: LOG_IN, variables: { u: 'ada', p: 'a wrong guess!' } }))));
  const during = {
    posts: (await post({ query: '{ posts(first: 5) { totalCount } }' })).ms,
    weather: (await post({ query: '{ weather(cities: ["Lima"]) { __typename } }' })).ms,
  };
  const answers = await Promise.all(storm);
  const stormMs = performance.now() - started;
  const guesses = answers.flatMap((answer) => (Array.isArray(answer.body) ? answer.body : [answer.body]));
  const outcome = (item: any) => item.data?.logIn?.__typename ?? item.errors?.[0]?.extensions?.code ?? `HTTP ${item}`;
  const outcomes: Record<string, number> = {};
  for (const item of guesses) outcomes[outcome(item)] = (outcomes[outcome(item)] ?? 0) + 1;
  console.log(
    JSON.stringify({
      probe: '10 requests of 10 batched logIns, wrong passwords',
      httpStatuses: answers.map((answer) => answer.status),
      outcomes,
      stormMs: Math.round(stormMs),
      postsMs: { alone: Math.round(baseline.posts), duringStorm: Math.round(during.posts) },
      coldWeatherMs: { alone: Math.round(baseline.weather), duringStorm: Math.round(during.weather) },
    }),
  );

  // 4. CORS: a preflight from a foreign origin.
  const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  console.log(
    JSON.stringify({
      probe: 'CORS preflight from https://evil.example',
      allowOrigin: preflight.headers.get('access-control-allow-origin'),
      allowCredentials: preflight.headers.get('access-control-allow-credentials'),
      maxAge: preflight.headers.get('access-control-max-age'),
    }),
  );
} finally {
  await server.stop();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
