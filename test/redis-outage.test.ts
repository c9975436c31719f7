import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { findRedisServer, startRedis, type ThrowawayRedis } from './services/redis.js';

// Redis stops under a running gateway process and comes back. The documented fallback: the
// rate limit fails open (requests are served, unlimited), /ready says 503 naming Redis, and
// the limit applies again once Redis answers, with no restart. The in-process version of the
// same story, with its log lines, is in rate-limit.test.ts.

const bin = findRedisServer();
if (!bin && process.env.CI) throw new Error('CI=true but redis-server is not installed: install the redis-server package');
if (!bin) console.warn('\n[gatherql] redis-server not found: the Redis outage suite is SKIPPED (apt-get install redis-server)\n');

const LIMIT = 3;

describe.skipIf(!bin)('Redis stopped under a gateway process', () => {
  let redis: ThrowawayRedis;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedis(bin!);
    server = await startServerProcess({
      DATABASE_URL: ':memory:',
      AUTH_SECRET: TEST_AUTH_SECRET,
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
    });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
    await redis?.stop();
  });

  const post = () => fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  const ready = async () => {
    const response = await fetch(`${server.url}/ready`);
    return { status: response.status, body: await response.json() };
  };
  /** Spends the whole budget, then expects the next request to be refused. */
  const expectLimited = async () => {
    for (let left = LIMIT - 1; left >= 0; left--) {
      const response = await post();
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-remaining')).toBe(String(left));
    }
    expect((await post()).status).toBe(429);
  };

  it('serves without a limit and says 503 on /ready while Redis is down, and limits again once it is back', async () => {
    const pid = server.child.pid;
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', redis: 'ok' } } });
    await expectLimited();

    await redis.stop();
    await expect.poll(ready, { timeout: 10_000, interval: 100 }).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'ok', redis: 'unreachable' } },
    });
    for (let i = 0; i < 2 * LIMIT; i++) {
      const response = await post();
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBeNull();
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(server.stdout().match(/fail open/g)).toHaveLength(1);

    redis = await startRedis(bin!, redis.port);
    await expect.poll(async () => (await ready()).status, { timeout: 10_000, interval: 100 }).toBe(200);
    // The restarted server remembers nothing (no persistence): a fresh budget, enforced again.
    await expectLimited();
    expect(server.child.exitCode).toBeNull();
    expect(server.child.pid).toBe(pid);
  });
});
