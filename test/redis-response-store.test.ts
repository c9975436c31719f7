import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { etagOf } from '../responses/http-caching.js';
import { createRedisResponseStore } from '../responses/redis-store.js';
import type { KeptResponse } from '../responses/store.js';
import { deadRedis, emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// The response store every instance shares, against a real Redis: what a write must have done
// before its request answers, and what is found afterwards.

const GENERATION = 'gatherql:responses:generation';
const NOW = Date.UTC(2026, 10, 25, 9);
const answer = (title: string, ttlMs = 60_000): KeptResponse => {
  const body = JSON.stringify({ data: { title } });
  return { body, etag: etagOf(body), name: null, until: NOW + ttlMs, publicUntil: NOW + ttlMs };
};

describe.skipIf(!sharedRedis)('the Redis response store', () => {
  let redis: Redis;
  let admin: Redis;
  beforeEach(async () => {
    const url = redisDatabase('redis-response-store');
    await emptyRedis(url);
    [redis, admin] = [new Redis(url), new Redis(url)];
  });
  afterEach(async () => {
    await admin.client('UNPAUSE');
    redis.disconnect();
    admin.disconnect();
  });
  const store = () => createRedisResponseStore(redis, () => NOW);
  /** Until `kept` is in Redis (keep does not wait for it). */
  const keptInRedis = (generation: number, key: string) => expect.poll(() => admin.exists(`gatherql:responses:${generation}:${key}`)).toBe(1);

  it('finds an answer under the generation it was kept in, for as long as it may be served', async () => {
    const responses = store();
    expect(await responses.lookUp('posts')).toEqual({ generation: 0, kept: undefined });
    responses.keep('posts', answer('first', 30_000), 0);
    await keptInRedis(0, 'posts');
    expect(await responses.lookUp('posts')).toEqual({ generation: 0, kept: answer('first', 30_000) });
    const ttl = await admin.pttl('gatherql:responses:0:posts');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    // Nothing that may not be served any more, and nothing looked up while Redis failed (-1).
    responses.keep('expired', answer('old', 0), 0);
    responses.keep('unknown generation', answer('other'), -1);
    responses.keep('marker', answer('marker'), 0);
    await keptInRedis(0, 'marker');
    expect(await admin.keys('gatherql:responses:*:*')).toEqual(expect.arrayContaining(['gatherql:responses:0:posts', 'gatherql:responses:0:marker']));
    expect(await admin.keys('gatherql:responses:*:*')).toHaveLength(2);
  });

  it('sends no answer to Redis that may no longer be served (Redis would refuse its expiry)', async () => {
    const errors: unknown[] = [];
    const responses = createRedisResponseStore(
      redis,
      () => NOW,
      (error) => errors.push(error),
    );
    responses.keep('expired', answer('old', 0), 0);
    responses.keep('marker', answer('marker'), 0);
    await keptInRedis(0, 'marker');
    expect(await admin.exists('gatherql:responses:0:expired')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('after a write, finds nothing kept before it, on any instance', async () => {
    const [one, two] = [store(), store()];
    one.keep('posts', answer('first'), 0);
    await keptInRedis(0, 'posts');
    two.invalidate();
    await two.settled();
    expect(await one.generation()).toBe(1);
    expect(await one.lookUp('posts')).toEqual({ generation: 1, kept: undefined });
    // An answer whose request began before the write is kept under the old generation: never found.
    one.keep('posts', answer('stale'), 0);
    one.keep('fresh', answer('second'), 1);
    await keptInRedis(1, 'fresh');
    expect(await two.lookUp('posts')).toEqual({ generation: 1, kept: undefined });
    expect((await two.lookUp('fresh')).kept).toEqual(answer('second'));
  });

  it('settles a write only once its bump has reached Redis', async () => {
    const responses = store();
    // Redis takes no write until told: the bump waits there.
    await admin.client('PAUSE', 60_000, 'WRITE');
    responses.invalidate();
    let settled = false;
    const settling = responses.settled().then(() => (settled = true));
    // A round trip of another client's: a settle that did not wait would have happened by now.
    expect(await admin.get(GENERATION)).toBeNull();
    expect(settled).toBe(false);
    await admin.client('UNPAUSE');
    await settling;
    expect(await admin.get(GENERATION)).toBe('1');
    // Nothing pending any more: settles at once.
    await responses.settled();
  });

  it('while Redis fails: finds nothing, keeps nothing, says why, and never throws', async () => {
    const dead = deadRedis();
    const errors: unknown[] = [];
    const responses = createRedisResponseStore(
      dead,
      () => NOW,
      (error) => errors.push(error),
    );
    expect(await responses.lookUp('posts')).toEqual({ generation: -1, kept: undefined });
    expect(await responses.generation()).toBe(-1);
    responses.invalidate();
    await responses.settled();
    responses.keep('posts', answer('first'), 0);
    await expect.poll(() => errors.length).toBe(4);
  });
});
