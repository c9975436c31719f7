import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BACKGROUND } from '../sources/kit/caller.js';
import type { CacheEvent } from '../sources/kit/events.js';
import { createMemoryQuotaStore, createQuota, type Quota } from '../sources/kit/quota.js';
import { createRedisTier } from '../sources/kit/shared-tier.js';
import type { LookUpSpan, LookUpTracer } from '../sources/kit/trace.js';
import { type CacheSettings, REFRESH_QUOTA_RESERVE, upstreamCache } from '../sources/kit/upstream-cache.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

const TTL_MS = 1_000;

/** An upstream cache on a clock of the test's, whose loads the test counts. */
function cacheOf(settings: Partial<CacheSettings> = {}, quota?: Quota, load?: (key: string) => Promise<string>) {
  let clock = 0;
  const loads: string[] = [];
  const events: [string, CacheEvent][] = [];
  const cache = upstreamCache<string>(
    {
      maxEntries: 100,
      staleWhileRevalidateMs: 0,
      refreshAhead: { share: 0.5, minReads: 1, maxInFlight: 4 },
      now: () => clock,
      onEvent: (name, event) => events.push([name, event]),
      ...settings,
    },
    {
      name: 'geocoding',
      what: 'The geocoding service',
      ttlMs: () => TTL_MS,
      staleIfErrorMs: 0,
      load: async (key) => {
        loads.push(key);
        return load ? load(key) : `${key} #${loads.length}`;
      },
      ...(quota && { quota }),
    },
  );
  return {
    cache,
    loads,
    events,
    at: (ms: number) => {
      clock = ms;
    },
  };
}

/** A quota of 10 a minute of which `spent` units are spent. */
async function quotaWith(spent: number): Promise<Quota> {
  const quota = createQuota({ name: 'open-meteo', limits: { minute: 10 }, store: createMemoryQuotaStore(), now: () => 0 });
  if (spent > 0) expect((await quota.take(spent)).granted).toBe(true);
  return quota;
}

describe('an upstream cache', () => {
  it('tells its events with its name', async () => {
    const { cache, events } = cacheOf({ refreshAhead: null });
    await cache.get('berlin', BACKGROUND);
    await cache.get('berlin', BACKGROUND);
    expect(events).toEqual([
      ['geocoding', 'miss'],
      ['geocoding', 'hit'],
    ]);
  });

  it('keeps maxEntries entries, the least recently used going first', async () => {
    const { cache, loads } = cacheOf({ maxEntries: 2, refreshAhead: null });
    for (const key of ['berlin', 'paris', 'berlin', 'lima', 'berlin', 'paris']) await cache.get(key, BACKGROUND);
    expect(loads).toEqual(['berlin', 'paris', 'lima', 'paris']);
    expect(cache.size).toBe(2);
  });

  it('answers stale for staleWhileRevalidateMs past the TTL while it loads again', async () => {
    const { cache, loads, at } = cacheOf({ staleWhileRevalidateMs: 500, refreshAhead: null });
    await cache.get('berlin', BACKGROUND);
    at(TTL_MS + 400);
    const stale = await cache.get('berlin', BACKGROUND);
    expect(stale.freshness.state).toBe('STALE');
    expect(stale.value).toBe('berlin #1');
    await expect.poll(() => loads).toEqual(['berlin', 'berlin']);
    // Past the window, a caller waits for the load.
    at(3 * TTL_MS);
    expect((await cache.get('berlin', BACKGROUND)).freshness.state).toBe('LIVE');
  });

  it('refreshes a hot key ahead of its expiry while the quota keeps its reserve, and not when it would dip into it', async () => {
    // 10 a minute, a reserve of 20 %: 3 left is headroom, 2 left is not.
    expect(REFRESH_QUOTA_RESERVE).toBe(0.2);
    const roomy = cacheOf({}, await quotaWith(7));
    await roomy.cache.get('berlin', BACKGROUND);
    roomy.at(TTL_MS * 0.6);
    await roomy.cache.get('berlin', BACKGROUND);
    await expect.poll(() => roomy.loads).toEqual(['berlin', 'berlin']);
    expect(roomy.events.map(([, event]) => event)).toContain('refresh');

    const short = cacheOf({}, await quotaWith(8));
    await short.cache.get('berlin', BACKGROUND);
    short.at(TTL_MS * 0.6);
    await short.cache.get('berlin', BACKGROUND);
    // The refresh was asked for and refused: give it the turns it would take.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(short.loads).toEqual(['berlin']);
    expect(short.events.map(([, event]) => event)).not.toContain('refresh');
  });

  it('refreshes nothing ahead when refresh-ahead is off', async () => {
    const { cache, loads, at } = cacheOf({ refreshAhead: null });
    await cache.get('berlin', BACKGROUND);
    at(TTL_MS * 0.9);
    await cache.get('berlin', BACKGROUND);
    await cache.get('berlin', BACKGROUND);
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toEqual(['berlin']);
  });

  it('traces its own refreshes with the tracer it is given', async () => {
    const traced: string[] = [];
    const span: LookUpSpan = { event: () => {}, follows: () => {}, end: () => {}, calls: {} as LookUpSpan['calls'] };
    const tracer: LookUpTracer = {
      lookUp: (cache, key) => {
        traced.push(`${cache} ${key}`);
        return span;
      },
    };
    const { cache, loads, at } = cacheOf({ tracer });
    await cache.get('berlin', BACKGROUND);
    at(TTL_MS * 0.6);
    await cache.get('berlin', BACKGROUND);
    await expect.poll(() => loads).toEqual(['berlin', 'berlin']);
    expect(traced).toEqual(['geocoding berlin']);
  });
});

describe.skipIf(!sharedRedis)('upstream caches of several instances, sharing a tier in Redis', () => {
  async function tier() {
    const url = redisDatabase('upstream-cache');
    await emptyRedis(url);
    const redis = new Redis(url);
    onTestFinished(() => redis.disconnect());
    return { tier: createRedisTier(redis), redis };
  }

  it('load a key once: the second instance takes what the first wrote', async () => {
    const { tier: sharedTier } = await tier();
    const first = cacheOf({ sharedTier, refreshAhead: null });
    const second = cacheOf({ sharedTier, refreshAhead: null });
    expect((await first.cache.get('berlin', BACKGROUND)).value).toBe('berlin #1');
    expect((await second.cache.get('berlin', BACKGROUND)).value).toBe('berlin #1');
    expect(second.loads).toEqual([]);
  });

  it('hold the lock of a key they load for sharedLockMs', async () => {
    const { tier: sharedTier, redis } = await tier();
    let release!: (value: string) => void;
    const loading = cacheOf({ sharedTier, refreshAhead: null, sharedLockMs: 1_500 }, undefined, () => new Promise((resolve) => (release = resolve)));
    const answer = loading.cache.get('berlin', BACKGROUND);
    await expect.poll(() => loading.loads).toEqual(['berlin']);
    const ttl = await redis.pttl('gatherql:geocoding:berlin:load:lock');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_500);
    release('berlin #1');
    expect((await answer).value).toBe('berlin #1');
  });

  it('refresh a hot key on one instance only, and each key on its own', async () => {
    const { tier: sharedTier } = await tier();
    const first = cacheOf({ sharedTier });
    const second = cacheOf({ sharedTier });
    for (const key of ['berlin', 'paris']) {
      await first.cache.get(key, BACKGROUND);
      await second.cache.get(key, BACKGROUND);
    }
    expect(first.loads).toEqual(['berlin', 'paris']);
    expect(second.loads).toEqual([]);
    first.at(TTL_MS * 0.6);
    second.at(TTL_MS * 0.6);
    for (const key of ['berlin', 'paris']) {
      await first.cache.get(key, BACKGROUND);
      await second.cache.get(key, BACKGROUND);
    }
    // One refresh of each key in all: the refresh's lock is per key, and taken by one instance.
    await expect.poll(() => [...first.loads, ...second.loads].sort()).toEqual(['berlin', 'berlin', 'paris', 'paris']);
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect([...first.loads, ...second.loads].sort()).toEqual(['berlin', 'berlin', 'paris', 'paris']);
  });
});
