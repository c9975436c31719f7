import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type HttpGateway, serveOverHttp } from './helpers/http.js';
import { startWeatherHarness, WEATHER_QUERY, type WeatherHarness } from './helpers/weather.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROCESSING_TIME = /^\d+\.\d{4}s$/;

/** Server-Timing entries by name: `db;dur=1.20;desc="2 SQL statements"` -> { db: { dur: 1.2, desc: '2 SQL statements' } }. */
function serverTiming(header: string | null): Record<string, { dur: number; desc?: string }> {
  const entries: Record<string, { dur: number; desc?: string }> = {};
  for (const metric of (header ?? '').split(/,\s*/).filter(Boolean)) {
    const [name, ...params] = metric.split(';');
    const values = Object.fromEntries(params.map((param) => param.split('=') as [string, string]));
    entries[name!] = { dur: Number(values.dur), ...(values.desc && { desc: values.desc.replace(/"/g, '') }) };
  }
  return entries;
}

describe('response headers over real HTTP', () => {
  let gateway: TestGateway;
  let http: HttpGateway;
  beforeAll(async () => {
    gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '0' });
    const ada = await insertUser(gateway.database.db, { username: 'ada' });
    await insertPost(gateway.database.db, { authorId: ada, title: 'hello' });
    http = await serveOverHttp(gateway);
  });
  afterAll(async () => {
    await http?.close();
    await gateway?.close();
  });

  const responses = () => ({
    graphql: () => http.post('{ posts(first: 1) { totalCount } }'),
    health: () => fetch(`${http.url}/health`),
    ready: () => fetch(`${http.url}/ready`),
    metrics: () => fetch(`${http.url}/metrics`),
    'malformed JSON': () => fetch(`${http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' }),
    'unknown path': () => fetch(`${http.url}/nowhere`),
  });

  it.each(Object.keys(responses()))('puts X-Request-Id, Server-Timing and X-Processing-Time on %s', async (name) => {
    const response = await responses()[name as keyof ReturnType<typeof responses>]();
    await response.arrayBuffer();
    expect(response.headers.get('x-request-id')).toMatch(UUID);
    expect(serverTiming(response.headers.get('server-timing')).total?.dur).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-processing-time')).toMatch(PROCESSING_TIME);
  });

  it('echoes a sane client request id and replaces one that is not', async () => {
    const echoed = await http.post('{ __typename }', {}, { 'x-request-id': 'trace-42.abc:DEF_7' });
    expect(echoed.headers.get('x-request-id')).toBe('trace-42.abc:DEF_7');
    const health = await fetch(`${http.url}/health`, { headers: { 'x-request-id': 'probe-1' } });
    expect(health.headers.get('x-request-id')).toBe('probe-1');

    for (const insane of ['has spaces in it', 'x'.repeat(129), '<script>', 'a\tb']) {
      const response = await http.post('{ __typename }', {}, { 'x-request-id': insane });
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  it('lets browser apps on other origins read the request id, timing and rate-limit headers', async () => {
    const response = await http.post('{ __typename }', {}, { origin: 'https://app.example' });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const exposed = response.headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['X-Request-Id', 'X-Processing-Time', 'Retry-After', 'RateLimit-Remaining']));
  });

  it('reports the SQL time of this request, and only of this one, under concurrency', async () => {
    const before = await counterValue(gateway.metrics.dbQueries, { origin: 'request' });
    const [a, b, c, health] = await Promise.all([
      // Two documents asking the same: an identical anonymous one could be answered from the response cache.
      http.post('query A { posts(first: 5) { totalCount edges { node { title author { username } } } } }'),
      http.post('query B { posts(first: 5) { totalCount edges { node { title author { username } } } } }'),
      http.post('{ users(first: 1) { totalCount } }'),
      fetch(`${http.url}/health`),
    ]);
    const statements = (await counterValue(gateway.metrics.dbQueries, { origin: 'request' })) - before;

    const counts = [a, b, c].map((response) => {
      const db = serverTiming(response.headers.get('server-timing')).db;
      expect(db?.dur).toBeGreaterThanOrEqual(0);
      return Number(/^(\d+) SQL statements?$/.exec(db!.desc!)![1]);
    });
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeGreaterThanOrEqual(3); // page, total count, authors
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(statements);
    expect(serverTiming(health.headers.get('server-timing'))).not.toHaveProperty('db');
  });

  it('formats X-Processing-Time as seconds and agrees with the total of Server-Timing', async () => {
    const response = await http.post('{ posts(first: 1) { totalCount } }');
    const seconds = Number(response.headers.get('x-processing-time')!.slice(0, -1));
    const total = serverTiming(response.headers.get('server-timing')).total!.dur;
    expect(Math.abs(seconds * 1000 - total)).toBeLessThan(0.1);
  });
});

describe('upstream time in Server-Timing', () => {
  let harness: WeatherHarness;
  beforeAll(async () => {
    harness = await startWeatherHarness();
    // Long enough that both requests below are in flight together.
    harness.sim.setFaults([{ fault: { kind: 'latency', ms: 30 } }]);
  });
  afterAll(() => harness?.close());

  const upstreamOf = async (cities: string[]) => {
    const response = await harness.gateway.query(WEATHER_QUERY, { cities });
    return serverTiming(response.headers.get('server-timing')).upstream;
  };

  it('reports the attempts made for this request, and only for this one, under concurrency', async () => {
    const [two, one] = await Promise.all([upstreamOf(['Berlin', 'Paris']), upstreamOf(['Rome'])]);
    // Each request geocoded its own cities; a forecast call that both waited for (when their
    // geocoding answers came back in one turn) counts for both, so the figures hold either way.
    expect(harness.sim.calls().geocoding).toBe(3);
    expect(harness.sim.calls().forecast).toBeLessThanOrEqual(2);
    expect(two?.desc).toBe('3 upstream calls');
    expect(one?.desc).toBe('2 upstream calls');
    expect(two!.dur).toBeGreaterThanOrEqual(3 * 30);
    expect(one!.dur).toBeGreaterThanOrEqual(2 * 30);
    // Answered from the caches: nothing upstream to report.
    expect(await upstreamOf(['Paris', 'Rome'])).toBeUndefined();
    expect(harness.sim.calls().geocoding).toBe(3);
  });
});
