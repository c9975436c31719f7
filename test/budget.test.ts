import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBudget } from '../limits/budget.js';
import { createStoreWarning } from '../limits/store-warning.js';
import { createUpstreamBudget } from '../limits/upstream-budget.js';
import { captureLogs } from './helpers/log-capture.js';
import { deadRedis, emptyRedis, memoryAndRedis, notYetConnectedRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// The budgets the rate limit, the upstream budget and the login throttle are made of: in
// memory on the test's clock where a window's length is the point, and the same behaviour
// in Redis, and failing open when Redis fails.

describe('the upstream budget, on the test’s clock', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.UTC(2026, 10, 25, 9) }));
  afterEach(() => vi.useRealTimers());

  it('gives each client its look-ups per minute: a window of 60 s from its first look-up, then a new one', async () => {
    const budget = createUpstreamBudget(3, null, captureLogs().logger)!;
    expect(await budget.spend('ip:203.0.113.7', 2)).toEqual({ granted: true, remaining: 1, resetSeconds: 60, counted: true });
    vi.advanceTimersByTime(59_000);
    expect(await budget.spend('ip:203.0.113.7', 2)).toEqual({ granted: false, remaining: 0, resetSeconds: 1, counted: true });
    expect(await budget.spend('ip:198.51.100.9', 3)).toMatchObject({ granted: true, remaining: 0 });
    vi.advanceTimersByTime(1_000);
    expect(await budget.spend('ip:203.0.113.7', 2)).toEqual({ granted: true, remaining: 1, resetSeconds: 60, counted: true });
  });

  it('fails open when its Redis fails, and the warning says what is no longer counted', async () => {
    const logs = captureLogs();
    const budget = createUpstreamBudget(1, deadRedis(), logs.logger)!;
    expect(await budget.spend('ip:203.0.113.7', 5)).toMatchObject({ granted: true, counted: false });
    expect(await budget.spend('ip:203.0.113.7', 5)).toMatchObject({ granted: true, counted: false });
    // Once per 30 s, however many look-ups fail to be counted meanwhile.
    expect(logs.lines().map((line) => [line.level, line.msg])).toEqual([
      [40, 'upstream budget store unreachable: upstream look-ups are not counted per client until it is back'],
    ]);
  });

  it('is off at 0', () => {
    expect(createUpstreamBudget(0, null, captureLogs().logger)).toBeNull();
  });
});

describe.skipIf(!sharedRedis)('the upstream budget whose Redis comes back', () => {
  it('says once that look-ups are counted again when its Redis comes back', async () => {
    const url = redisDatabase('budget');
    await emptyRedis(url);
    const redis = notYetConnectedRedis(url);
    const logs = captureLogs();
    const budget = createUpstreamBudget(1, redis, logs.logger)!;
    expect(await budget.spend('ip:203.0.113.7', 5)).toMatchObject({ granted: true, counted: false });
    await redis.connect();
    expect(await budget.spend('ip:203.0.113.7')).toMatchObject({ granted: true, counted: true });
    expect(await budget.spend('ip:203.0.113.7')).toMatchObject({ granted: false, counted: true });
    expect(logs.lines().map((line) => [line.level, line.msg])).toEqual([
      [40, 'upstream budget store unreachable: upstream look-ups are not counted per client until it is back'],
      [30, 'upstream budget store reachable again'],
    ]);
  });
});

/** A budget of `points` over 10 minutes, in memory or in Redis. */
const budgets = memoryAndRedis(
  'budget',
  (redis) => (options: { points: number; blockSeconds?: number }) => createBudget({ ...options, durationSeconds: 600, keyPrefix: 'test', redis }),
);

describe.each(budgets)('a budget in %s', (_where, open) => {
  it('spends points per key until the budget is spent, and says what is left; peeking spends nothing', async () => {
    const budget = (await open())({ points: 5 });
    expect(await budget.peek('a')).toEqual({ granted: true, remaining: 5, resetSeconds: 600, counted: true });
    expect(await budget.spend('a', 3)).toMatchObject({ granted: true, remaining: 2, counted: true });
    expect(await budget.peek('a')).toMatchObject({ granted: true, remaining: 2 });
    expect(await budget.spend('a', 3)).toMatchObject({ granted: false, remaining: 0, counted: true });
    expect(await budget.peek('a')).toMatchObject({ granted: false, remaining: 0 });
    expect(await budget.spend('b')).toMatchObject({ granted: true, remaining: 4 });
    // Spent to the last point: nothing more may be spent, though nothing was refused yet.
    expect(await budget.spend('c', 5)).toMatchObject({ granted: true, remaining: 0 });
    expect(await budget.peek('c')).toMatchObject({ granted: false, remaining: 0 });
    const reset = (await budget.peek('a')).resetSeconds;
    expect(reset).toBeGreaterThan(500);
    expect(reset).toBeLessThanOrEqual(600);
  });

  it('gives points back, forgets a key, and blocks one', async () => {
    const budget = (await open())({ points: 2 });
    await budget.spend('a', 2);
    await budget.refund('a');
    expect(await budget.spend('a')).toMatchObject({ granted: true, remaining: 0 });
    await budget.forget('a');
    expect(await budget.peek('a')).toMatchObject({ granted: true, remaining: 2 });
    await budget.block('b', 120);
    const blocked = await budget.peek('b');
    expect(blocked.granted).toBe(false);
    expect(blocked.resetSeconds).toBeGreaterThan(60);
    expect(blocked.resetSeconds).toBeLessThanOrEqual(120);
  });

  it('keeps a key that went over refused for blockSeconds, longer than its window', async () => {
    const budget = (await open())({ points: 1, blockSeconds: 3600 });
    await budget.spend('a');
    const refused = await budget.spend('a');
    expect(refused.granted).toBe(false);
    expect(refused.resetSeconds).toBeGreaterThan(3000);
    expect(refused.resetSeconds).toBeLessThanOrEqual(3600);
  });
});

describe('a budget whose Redis fails', () => {
  it('grants every spend without counting it, and says so; the other operations fail open too', async () => {
    const dead = deadRedis();
    const errors: unknown[] = [];
    const budget = createBudget({ points: 1, durationSeconds: 60, keyPrefix: 'test', redis: dead, storeHealth: { failed: (error) => errors.push(error) } });
    for (let n = 0; n < 3; n += 1) expect(await budget.spend('a')).toEqual({ granted: true, remaining: 1, resetSeconds: 60, counted: false });
    expect(await budget.peek('a')).toEqual({ granted: true, remaining: 1, resetSeconds: 60, counted: false });
    await budget.block('a', 60);
    await budget.refund('a');
    await budget.forget('a');
    expect(errors).toHaveLength(7);
  });

  it('needs nobody to hear its store, nor a listener for both of its answers', async () => {
    for (const storeHealth of [undefined, {}, { failed: () => {} }, { succeeded: () => {} }]) {
      const counting = createBudget({ points: 1, durationSeconds: 60, keyPrefix: 'test', ...(storeHealth && { storeHealth }) });
      expect(await counting.spend('a')).toMatchObject({ granted: true, counted: true });
      expect(await counting.spend('a')).toMatchObject({ granted: false, counted: true });
      const failing = createBudget({ points: 1, durationSeconds: 60, keyPrefix: 'test', redis: deadRedis(), ...(storeHealth && { storeHealth }) });
      expect(await failing.spend('a')).toMatchObject({ granted: true, counted: false });
    }
  });
});

describe.skipIf(!sharedRedis)('a budget whose Redis comes back', () => {
  it('hears the store answer each operation, those that only write included', async () => {
    const url = redisDatabase('budget');
    await emptyRedis(url);
    const redis = notYetConnectedRedis(url);
    const heard: string[] = [];
    const budget = createBudget({
      points: 2,
      durationSeconds: 60,
      keyPrefix: 'test',
      redis,
      storeHealth: { failed: () => heard.push('failed'), succeeded: () => heard.push('answered') },
    });
    await budget.block('a', 60);
    await redis.connect();
    await budget.block('a', 60);
    await budget.refund('a');
    await budget.forget('a');
    await budget.peek('a');
    await budget.spend('a');
    expect(heard).toEqual(['failed', 'answered', 'answered', 'answered', 'answered', 'answered']);
  });
});

describe('the store warning', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 10, 25, 9) }));
  afterEach(() => vi.useRealTimers());

  it('warns at most once per interval while the store fails, and says once when it is back', () => {
    const logs = captureLogs();
    const warning = createStoreWarning({ logger: logs.logger, intervalMs: 30_000, down: 'store down', up: 'store up' });
    warning.succeeded();
    warning.failed(new Error('connection refused'));
    warning.failed(new Error('connection refused'));
    vi.advanceTimersByTime(29_999);
    warning.failed('still refused');
    vi.advanceTimersByTime(1);
    warning.failed('still refused');
    warning.succeeded();
    warning.succeeded();
    expect(logs.lines().map((line) => [line.level, line.msg, line.error])).toEqual([
      [40, 'store down', 'connection refused'],
      [40, 'store down', 'still refused'],
      [30, 'store up', undefined],
    ]);
  });
});
