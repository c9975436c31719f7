import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { waitForOtherInstance } from '../sources/kit/shared-load.js';
import { createRedisTier, type SharedTier } from '../sources/kit/shared-tier.js';
import { deadRedis, emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// One key loaded by one of several instances: the others wait for what it writes to the
// shared tier. Against the run's Redis, through the tier the gateway uses.

const LOCK = 'gatherql:geocoding:berlin:load';
const VALUE = 'gatherql:geocoding:berlin';

async function redisTier(): Promise<{ tier: SharedTier; redis: Redis }> {
  const url = redisDatabase('shared-load');
  await emptyRedis(url);
  const redis = new Redis(url);
  onTestFinished(() => redis.disconnect());
  return { tier: createRedisTier(redis), redis };
}

/** Waits as an instance would, counting its reads of the tier. */
function waitFor(tier: SharedTier, options: { lockMs?: number; deadline?: number; signal?: AbortSignal } = {}) {
  let reads = 0;
  const found = waitForOtherInstance({
    tier,
    lockKey: LOCK,
    lockMs: options.lockMs ?? 10_000,
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    signal: options.signal ?? new AbortController().signal,
    read: async () => {
      reads += 1;
      return (await tier.get(VALUE)) ?? undefined;
    },
  });
  return { found, reads: () => reads };
}

describe.skipIf(!sharedRedis)('a load shared by instances', () => {
  it('is this instance’s to do when it takes the key’s lock: nothing is read', async () => {
    const { tier } = await redisTier();
    const wait = waitFor(tier);
    expect(await wait.found).toBeNull();
    expect(wait.reads()).toBe(0);
    // And the lock is now held: a second instance waits.
    expect(await tier.lock(LOCK, 10_000)).toBe(false);
  });

  it('waits while another instance holds the lock, and takes what it writes', async () => {
    const { tier } = await redisTier();
    expect(await tier.lock(LOCK, 10_000)).toBe(true);
    const wait = waitFor(tier);
    await expect.poll(() => wait.reads(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await tier.set(VALUE, '{"latitude":52.52}', 60_000);
    expect(await wait.found).toBe('{"latitude":52.52}');
  });

  it('loads itself when the other instance gives the lock up without writing (its load failed)', async () => {
    const { tier } = await redisTier();
    expect(await tier.lock(LOCK, 10_000)).toBe(true);
    const wait = waitFor(tier);
    await expect.poll(() => wait.reads(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await tier.unlock(LOCK);
    expect(await wait.found).toBeNull();
    // It holds the lock now.
    expect(await tier.lock(LOCK, 10_000)).toBe(false);
  });

  it('waits no longer than the lock may be held, nor past its caller’s deadline', async () => {
    const { tier } = await redisTier();
    expect(await tier.lock(LOCK, 60_000)).toBe(true);
    const bounded = waitFor(tier, { lockMs: 100 });
    expect(await bounded.found).toBeNull();
    // 100 ms of waiting holds four polls of 25 ms at most.
    expect(bounded.reads()).toBeLessThanOrEqual(4);
    const late = waitFor(tier, { deadline: performance.now() + 10 });
    expect(await late.found).toBeNull();
    expect(late.reads()).toBe(0);
  });

  it('stops waiting when its caller gives up', async () => {
    const { tier } = await redisTier();
    expect(await tier.lock(LOCK, 60_000)).toBe(true);
    const abort = new AbortController();
    const wait = waitFor(tier, { signal: abort.signal });
    await expect.poll(() => wait.reads(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    abort.abort();
    const readsWhenAborted = wait.reads();
    expect(await wait.found).toBeNull();
    // It gave up in the poll it was in, not at the end of the lock's 10 s.
    expect(wait.reads()).toBeLessThanOrEqual(readsWhenAborted + 1);
  });
});

describe('a load shared by instances while Redis is unreachable', () => {
  it('is this instance’s to do at once: Redis trouble costs a call, never an answer', async () => {
    const tier = createRedisTier(deadRedis());
    const wait = waitFor(tier);
    expect(await wait.found).toBeNull();
    expect(wait.reads()).toBe(0);
  });
});
