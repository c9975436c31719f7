import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalMediaType } from '../limits/rate-limit.js';
import { signToken, tokenKey } from '../resolvers/auth.js';
import { insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type HttpGateway, serveOverHttp, useHttpGateways } from './helpers/http.js';
import { captureLogs } from './helpers/log-capture.js';
import { findRedisServer, startRedis, type ThrowawayRedis } from './services/redis.js';
import { redisDatabase, sharedRedis } from './helpers/redis-databases.js';

const AUTH_SECRET = 'test-secret-that-is-long-enough-to-sign';
const QUERY = '{ __typename }';
// This file's own database on the run's shared Redis server, so no other file's keys meet ours.

async function expectRateLimited(response: Response, limit: number) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(response.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(response.headers.get('ratelimit-reset'))).toBe(retryAfter);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const body = (await response.json()) as any;
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([
    expect.objectContaining({
      message: expect.stringMatching(/^Too many requests: the limit is \d+ operations per 60 s per client; retry in \d+ s$/),
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
    }),
  ]);
}

describe('the media type of a refusal', () => {
  it('is the GraphQL-over-HTTP one for a client that asks for it, and plain JSON otherwise', () => {
    expect(refusalMediaType('application/graphql-response+json, application/json;q=0.9')).toBe('application/graphql-response+json');
    for (const accept of ['application/json', '*/*', '', null, undefined]) expect(refusalMediaType(accept)).toBe('application/json');
  });
});

describe('rate limit in memory', () => {
  let gateway: TestGateway;
  let adaToken: string;
  beforeAll(async () => {
    gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '3', AUTH_SECRET });
    adaToken = await signToken(tokenKey(AUTH_SECRET), { id: await insertUser(gateway.database.db, { username: 'ada' }) });
  });
  afterAll(() => gateway?.close());

  const fetchAs = (headers: Record<string, string> = {}) =>
    gateway.yoga.fetch('http://gatherql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query: QUERY }),
    });

  it('counts down RateLimit-Remaining, then answers 429 RATE_LIMITED with Retry-After', async () => {
    for (const remaining of [2, 1, 0]) {
      const response = await fetchAs();
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('3');
      expect(response.headers.get('ratelimit-remaining')).toBe(String(remaining));
      expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    await expectRateLimited(await fetchAs(), 3);
    // Probes and scrapes stay free.
    expect((await gateway.yoga.fetch('http://gatherql.test/health')).status).toBe(200);
    expect((await gateway.yoga.fetch('http://gatherql.test/ready')).status).toBe(200);
  });

  it('spends one point per operation of a batch, and refuses a batch that would pass the budget', async () => {
    const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '5', AUTH_SECRET });
    try {
      const batch = (size: number) =>
        gateway.yoga.fetch('http://gatherql.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(Array.from({ length: size }, () => ({ query: QUERY }))),
        });
      const three = await batch(3);
      expect(three.status).toBe(200);
      expect(await three.json()).toHaveLength(3);
      expect(three.headers.get('ratelimit-remaining')).toBe('2');
      const over = await batch(3);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(over.headers.get('ratelimit-remaining')).toBe('0');
      const body = (await over.json()) as any;
      expect(body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: Number(over.headers.get('retry-after')) });
    } finally {
      await gateway.close();
    }
  });

  it('gives a signed-in user a budget of their own, whatever address they come from', async () => {
    const signedIn = { authorization: `Bearer ${adaToken}` };
    for (let i = 0; i < 3; i++) expect((await fetchAs(signedIn)).status).toBe(200);
    await expectRateLimited(await fetchAs(signedIn), 3);
  });

  it('does not let a forged token buy a fresh budget', async () => {
    // The anonymous budget was spent above; a token that proves nothing is still that client.
    expect((await fetchAs({ authorization: 'Bearer forged.token.value' })).status).toBe(429);
  });
});

describe('rate limit by client address over real HTTP', () => {
  const serveGateway = useHttpGateways({ RATE_LIMIT_PER_MINUTE: '2' });
  const serve = async (env: Record<string, string>) => (await serveGateway(env)).http;

  it('keys on the socket address and ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const http = await serve({});
    for (let i = 0; i < 2; i++) expect((await http.post(QUERY, {}, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(200);
    await expectRateLimited(await http.post(QUERY, {}, { 'x-forwarded-for': '203.0.113.99' }), 2);
  });

  it('believes the right-most X-Forwarded-For address with TRUST_PROXY, the one the proxy appended: what the client sent before it changes nothing', async () => {
    const http = await serve({ TRUST_PROXY: 'true' });
    // Behind nginx's $proxy_add_x_forwarded_for: the client's own header, then the address nginx saw.
    let made = 0;
    const from = (address: string) => http.post(QUERY, {}, { 'x-forwarded-for': `10.0.${made++}.1, ${address}` });
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('203.0.113.7')).status).toBe(200);
    await expectRateLimited(await from('203.0.113.7'), 2);
    expect((await from('198.51.100.4')).status).toBe(200);
    // Garbage in the header is not an address: the socket address is used instead.
    expect((await http.post(QUERY, {}, { 'x-forwarded-for': 'not-an-ip' })).status).toBe(200);
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const http = await serve({ RATE_LIMIT_PER_MINUTE: '0' });
    for (let i = 0; i < 5; i++) {
      const response = await http.post(QUERY);
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBeNull();
    }
  });
});

describe.skipIf(!sharedRedis)('rate limit in Redis, shared by two gateway instances', () => {
  const instances: { gateway: TestGateway; http: HttpGateway }[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: redisDatabase('rate-limit') });
      instances.push({ gateway, http: await serveOverHttp(gateway) });
    }
    await instances[0]!.gateway.redis!.flushdb();
  });
  afterAll(async () => {
    for (const { gateway, http } of instances) {
      await http.close();
      await gateway.close();
    }
  });

  it('spends one budget per client across both instances', async () => {
    const [a, b] = instances.map(({ http }) => http);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await (i % 2 === 0 ? a! : b!).post(QUERY);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    await expectRateLimited(await a!.post(QUERY), 5);
    await expectRateLimited(await b!.post(QUERY), 5);
    expect(await instances[0]!.gateway.redis!.get('gatherql:rate:ip:127.0.0.1')).toBe('7');
  });
});

const redisServer = findRedisServer();

describe.skipIf(!redisServer)('rate limit when Redis goes away and comes back', () => {
  let redis: ThrowawayRedis;
  let gateway: TestGateway;
  let http: HttpGateway;
  const logs = captureLogs('info');
  beforeAll(async () => {
    redis = await startRedis(redisServer!);
    gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL: redis.url }, { logger: logs.logger });
    http = await serveOverHttp(gateway);
  });
  afterAll(async () => {
    await http?.close();
    await gateway?.close();
    await redis?.stop();
  });

  const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('serves unlimited while Redis is down (fail open, logged once), and limits again once it is back', async () => {
    expect((await http.post(QUERY)).status).toBe(200);
    expect((await http.post(QUERY)).status).toBe(200);
    const limited = await http.post(QUERY);
    expect(limited.status).toBe(429);
    const logged = logs.lines().filter((line) => line.msg === 'request' && line.requestId === limited.headers.get('x-request-id'));
    expect(logged).toEqual([expect.objectContaining({ status: 429, errors: 1, client: 'ip:127.0.0.1' })]);

    await redis.stop();
    await until(() => gateway.redis!.status !== 'ready');
    for (let i = 0; i < 6; i++) {
      const response = await http.post(QUERY);
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBeNull();
    }
    const failOpen = logs.lines().filter((line) => line.level === 40 && /fail open/.test(line.msg));
    expect(failOpen).toHaveLength(1);

    redis = await startRedis(redisServer!, redis.port);
    await until(() => gateway.redis!.status === 'ready');
    // The restarted server remembers nothing (no persistence): a fresh budget, enforced again.
    expect((await http.post(QUERY)).headers.get('ratelimit-remaining')).toBe('1');
    expect((await http.post(QUERY)).status).toBe(200);
    await expectRateLimited(await http.post(QUERY), 2);
    expect(logs.lines().some((line) => line.msg === 'rate limit store reachable again: limits apply')).toBe(true);
  });
});
