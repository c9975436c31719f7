import { Redis } from 'ioredis';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createRedisTier } from '../sources/kit/shared-tier.js';
import { deadRedis, emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// The shared cache tier on its own, on the run's real Redis: values with their TTLs, locks,
// reads batched per tick, purges by key and by prefix (in batches: more keys than one SCAN or
// UNLINK takes), and what it does when Redis is away.

describe.skipIf(!sharedRedis)('the shared tier in Redis', () => {
  let redis: Redis;
  beforeEach(async () => {
    const url = redisDatabase('shared-tier');
    await emptyRedis(url);
    redis = new Redis(url);
    onTestFinished(() => redis.disconnect());
  });

  it('keeps a value for its TTL, and nothing with no TTL left', async () => {
    const tier = createRedisTier(redis);
    await tier.set('places:oslo', '{"a":1}', 60_000.2);
    expect(await tier.get('places:oslo')).toBe('{"a":1}');
    const ttl = await redis.pttl('places:oslo');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_001);
    // Every read asks Redis: another instance may have written since.
    await redis.set('places:oslo', '{"a":2}');
    expect(await tier.get('places:oslo')).toBe('{"a":2}');
    await tier.set('places:gone', 'x', 0);
    await tier.set('places:gone', 'x', -5);
    expect(await redis.exists('places:gone')).toBe(0);
    expect(await tier.get('places:nowhere')).toBeNull();
  });

  it('asks Redis once for every read of one tick', async () => {
    const tier = createRedisTier(redis);
    await redis.set('a', '1');
    await redis.set('c', '3');
    const mget = vi.spyOn(redis, 'mget');
    expect(await Promise.all([tier.get('a'), tier.get('b'), tier.get('c')])).toEqual(['1', null, '3']);
    expect(mget).toHaveBeenCalledTimes(1);
    expect(mget.mock.calls[0]).toEqual(['a', 'b', 'c']);
  });

  it('gives a lock to one taker for its TTL, under the key’s lock name, until it is given up', async () => {
    const tier = createRedisTier(redis);
    expect(await Promise.all([tier.lock('k', 5_000), tier.lock('k', 5_000), tier.lock('other', 5_000)])).toEqual([true, false, true]);
    expect(await redis.get('k:lock')).toBe('1');
    const ttl = await redis.pttl('k:lock');
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    // The value itself is not the lock.
    expect(await redis.exists('k')).toBe(0);
    await tier.unlock('k');
    expect(await tier.lock('k', 0.2)).toBe(true);
    // A TTL under a millisecond is a millisecond: Redis refuses PX 0.
    expect(await redis.pttl('k:lock')).toBeLessThanOrEqual(1);
  });

  it('deletes values and their locks in batches, and counts the values that were there', async () => {
    const tier = createRedisTier(redis);
    const keys = Array.from({ length: 1_200 }, (_, n) => `v${n}`);
    await redis.mset(...keys.slice(0, 1_100).flatMap((key) => [key, 'x']));
    await redis.mset(...keys.flatMap((key) => [`${key}:lock`, '1']));
    await redis.set('kept', 'x');
    const unlink = vi.spyOn(redis, 'unlink');
    expect(await tier.delete(keys, keys)).toBe(1_100);
    // 500 keys a command at most, each key once.
    expect(unlink.mock.calls.map((call) => call.length)).toEqual([500, 500, 200, 500, 500, 200]);
    expect(await redis.dbsize()).toBe(1);
    expect(await tier.delete([])).toBe(0);
  });

  it('deletes by prefix every value and lock under it, however many SCAN steps that takes, and only those', async () => {
    const tier = createRedisTier(redis);
    const under = Array.from({ length: 1_300 }, (_, n) => `weather:a*b[${n}`);
    await redis.mset(...under.flatMap((key) => [key, 'x']));
    await redis.mset(...under.slice(0, 700).flatMap((key) => [`${key}:lock`, '1']));
    // Keys that a prefix read as a glob would match: the prefix is taken as it is written.
    await redis.mset('weather:aXb[1', 'x', 'weather:a*b1', 'x', 'places:a*b[1', 'x');
    expect(await tier.deletePrefixed('weather:a*b[')).toBe(1_300);
    expect((await redis.keys('*')).sort()).toEqual(['places:a*b[1', 'weather:a*b1', 'weather:aXb[1']);
    expect(await tier.deletePrefixed('nothing:')).toBe(0);
  });
});

describe('the shared tier while Redis is away', () => {
  it('treats a lock as free and an unlock as done, and refuses purges so that their callers know', async () => {
    const tier = createRedisTier(deadRedis());
    expect(await tier.lock('k', 1_000)).toBe(true);
    await expect(tier.unlock('k')).resolves.toBeUndefined();
    await expect(tier.get('k')).rejects.toThrow();
    await expect(tier.delete(['k'])).rejects.toThrow();
    await expect(tier.delete([], ['k'])).rejects.toThrow();
    await expect(tier.deletePrefixed('k')).rejects.toThrow();
  });
});
