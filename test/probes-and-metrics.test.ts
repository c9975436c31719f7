import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useReadiness } from '../plugins/use-readiness.js';
import { postgres } from './helpers/databases.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type HttpGateway, serveOverHttp, useHttpGateways } from './helpers/http.js';
import { freePort } from './services/free-port.js';
import { redisDatabase, sharedRedis } from './helpers/redis-databases.js';

async function ready(http: HttpGateway) {
  const response = await fetch(`${http.url}/ready`);
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}

describe('/health and /ready over real HTTP', () => {
  const serve = useHttpGateways({}, { seed: false });

  it('says the process is up on /health and the database answers on /ready', async () => {
    const { http } = await serve({});
    expect((await fetch(`${http.url}/health`)).status).toBe(200);
    expect(await ready(http)).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: { status: 'ready', checks: { database: 'ok' } } });
  });

  it.skipIf(!sharedRedis)('checks Redis too when REDIS_URL is set', async () => {
    const { http } = await serve({ REDIS_URL: redisDatabase('probes-and-metrics') });
    expect((await ready(http)).body).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('is 503 naming Redis when Redis cannot be reached, while /health and GraphQL carry on', async () => {
    const { http } = await serve({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(await ready(http)).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { database: 'ok', redis: 'unreachable' } } });
    expect((await fetch(`${http.url}/health`)).status).toBe(200);
    expect((await http.post('{ __typename }')).status).toBe(200);
  });

  it.skipIf(!postgres.available)('is 503 naming the database once PostgreSQL loses it, while /health stays 200', async () => {
    const url = await postgres.createDatabase();
    const { http } = await serve({ DATABASE_URL: url });
    expect((await ready(http)).status).toBe(200);
    await postgres.dropDatabase(url);
    expect(await ready(http)).toMatchObject({ status: 503, body: { checks: { database: 'unreachable' } } });
    expect((await fetch(`${http.url}/health`)).status).toBe(200);
  });
});

describe('useReadiness', () => {
  it('bounds a probe that never answers by its timeout', async () => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
      plugins: [useReadiness({ checks: { fast: async () => 1, stuck: () => new Promise(() => {}) }, timeoutMs: 50 })],
    });
    const response = await yoga.fetch('http://yoga/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', checks: { fast: 'ok', stuck: 'timed out' } });
  });
});

describe('/metrics over real HTTP', () => {
  let one: { gateway: TestGateway; http: HttpGateway };
  let two: { gateway: TestGateway; http: HttpGateway };
  beforeAll(async () => {
    const start = async () => {
      const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '0' });
      return { gateway, http: await serveOverHttp(gateway) };
    };
    one = await start();
    two = await start();
  });
  afterAll(async () => {
    for (const { gateway, http } of [one, two]) {
      await http?.close();
      await gateway?.close();
    }
  });

  const scrape = async (http: HttpGateway) => {
    const response = await fetch(`${http.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const sample = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

  it('serves the gatherql metrics in Prometheus text, request durations by method, status and operation type', async () => {
    const response = await one.http.post('query LatestPosts { posts(first: 2) { totalCount } }');
    expect(response.status).toBe(200);
    const failed = await one.http.post('query Broken { posts(first: -1) { totalCount } }');
    expect(failed.status).toBe(200);
    // Two operations in one request are one `batch`; one refused before it ran (it does not
    // validate) beside one that ran is not a batch, and a request whose operation never ran is `none`.
    const batch = (queries: string[]) =>
      fetch(`${one.http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(queries.map((query) => ({ query }))),
      });
    expect((await batch(['{ posts(first: 1) { totalCount } }', '{ posts(first: 2) { totalCount } }'])).status).toBe(200);
    expect((await batch(['{ posts(first: 1) { totalCount } }', '{ noSuchField }'])).status).toBe(200);
    expect((await one.http.post('{ noSuchField }')).status).toBe(400);
    const text = await scrape(one.http);
    for (const name of ['gatherql_upstream_requests_total', 'gatherql_cache_events_total', 'gatherql_db_queries_total', 'gatherql_graphql_errors_total']) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
    expect(text).toContain('# TYPE gatherql_http_request_duration_seconds histogram');
    expect(sample(text, 'gatherql_db_queries_total{origin="request"}')).toBeGreaterThan(0);
    const requests = (labels: string) => Number(new RegExp(`^gatherql_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(requests('method="POST",status="200",operation="query"')).toBe(3);
    expect(requests('method="POST",status="200",operation="batch"')).toBe(1);
    expect(requests('method="POST",status="400",operation="none"')).toBe(1);
    // The scrape itself is not counted: it is answered before.
    expect(requests('method="GET",status="200",operation="none"')).toBeNaN();
    expect(Number(/^gatherql_graphql_errors_total\{operation="query"\} (\d+)$/m.exec(text)?.[1])).toBe(1);
    // Client-chosen values never become labels.
    expect(text).not.toContain('LatestPosts');
    expect(text).not.toContain('Broken');
    expect(text).not.toContain('url=');
  });

  it('keeps two gateways in one process apart', async () => {
    // Five different documents: an identical anonymous one would be answered from the response cache, not executed.
    for (let i = 1; i <= 5; i++) await two.http.post(`{ posts(first: ${i}) { totalCount } }`);
    const [a, b] = [await scrape(one.http), await scrape(two.http)];
    const statements = (text: string) => sample(text, 'gatherql_db_queries_total{origin="request"}');
    expect(statements(b)).not.toBe(statements(a));
    const requests = (text: string) =>
      Number(/^gatherql_http_request_duration_seconds_count\{method="POST",status="200",operation="query"\} (\d+)/m.exec(text)?.[1]);
    expect(requests(b)).toBe(5);
    expect(requests(a)).toBe(3);
  });
});
