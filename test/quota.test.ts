import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { counterValue } from '../metrics.js';
import { createMemoryQuotaStore, createQuota, parseQuotaLimits, type WindowCounter } from '../sources/kit/quota.js';
import { createRedisQuotaStore } from '../sources/kit/redis-quota-store.js';
import { limitedWindow } from '../sources/open-meteo/limits.js';
import { dialects } from './helpers/databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { deadRedis, emptyRedis, memoryAndRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

/** 09:00:10 UTC: 50 s left of the minute, 59 min 50 s of the hour. */
const T0 = Date.UTC(2026, 10, 25, 9, 0, 10);

describe('quota', () => {
  const quota = (limits: string, clock: { now: number }) =>
    createQuota({ name: 'test', limits: parseQuotaLimits(limits)!, store: createMemoryQuotaStore(), now: () => clock.now });

  it('grants units while every window has room, and says which window refused and when it reopens', async () => {
    const clock = { now: T0 };
    const budget = quota('3/minute,4/hour', clock);
    expect(await budget.take(2)).toEqual({ granted: true });
    expect(await budget.take(2)).toEqual({ granted: false, window: 'minute', retryAfterSeconds: 50 });
    expect(await budget.take(1)).toEqual({ granted: true });
    clock.now += 50_000; // a new minute: the hour still counts 3
    expect(await budget.take(2)).toEqual({ granted: false, window: 'hour', retryAfterSeconds: 3540 });
    expect(await budget.remaining()).toEqual({ minute: 3, hour: 1 });
  });

  it('refuses nothing for a window without a limit, and takes no unit from any window when one refuses', async () => {
    const clock = { now: T0 };
    // No minute limit: five units at once pass; the day refuses the next ones, and the hour
    // (checked before it) keeps what it had.
    const budget = quota('8/hour,6/day', clock);
    expect(await budget.take(5)).toEqual({ granted: true });
    expect(await budget.take(2)).toEqual({ granted: false, window: 'day', retryAfterSeconds: 14 * 3600 + 59 * 60 + 50 });
    expect(await budget.remaining()).toEqual({ hour: 3, day: 1 });
    expect(await budget.take(1)).toEqual({ granted: true });
    expect(await budget.remaining()).toEqual({ hour: 2, day: 0 });
  });

  it('closes a window the upstream says is spent, until it resets', async () => {
    const clock = { now: T0 };
    const budget = quota('600/minute,5000/hour', clock);
    await budget.close('minute');
    expect(await budget.take(1)).toEqual({ granted: false, window: 'minute', retryAfterSeconds: 50 });
    expect(await budget.remaining()).toEqual({ minute: 0, hour: 5000 });
    clock.now += 50_000;
    expect(await budget.take(1)).toEqual({ granted: true });
  });

  it('reports headroom: every window above a share of its limit', async () => {
    const budget = quota('10/minute', { now: T0 });
    await budget.take(7);
    expect(await budget.hasHeadroom(0.2)).toBe(true);
    await budget.take(1);
    expect(await budget.hasHeadroom(0.2)).toBe(false);
  });

  it('lets a share of a window be spent, and a call heavier than the share into a window nothing has spent', async () => {
    const clock = { now: T0 };
    const budget = quota('10/minute', clock);
    // Half of 10: five calls, then the share refuses while a call someone waits for still fits.
    for (let call = 0; call < 5; call += 1) expect(await budget.take(1, 0.5)).toEqual({ granted: true });
    expect(await budget.take(1, 0.5)).toEqual({ granted: false, window: 'minute', retryAfterSeconds: 50 });
    expect(await budget.take(5)).toEqual({ granted: true });
    expect(await budget.take(1)).toMatchObject({ granted: false });
    // A quarter of 4 is 1, yet a call of 3 goes into a fresh window; nothing more does.
    const small = quota('4/minute', clock);
    expect(await small.take(3, 0.25)).toEqual({ granted: true });
    expect(await small.take(1, 0.25)).toMatchObject({ granted: false });
    expect(await small.take(1)).toEqual({ granted: true });
  });

  it('grants anything when no window is limited, and closing a window without a limit closes nothing', async () => {
    const clock = { now: T0 };
    expect(await createQuota({ name: 'free', limits: {}, store: createMemoryQuotaStore(), now: () => clock.now }).take(1_000)).toEqual({ granted: true });
    const budget = quota('2/minute', clock);
    await budget.close('hour');
    expect(await budget.take(2)).toEqual({ granted: true });
  });

  it('has no headroom once any one window is short of it', async () => {
    const budget = quota('10/minute,10/hour', { now: T0 });
    await budget.close('minute');
    expect(await budget.remaining()).toEqual({ minute: 0, hour: 10 });
    expect(await budget.hasHeadroom(0.5)).toBe(false);
  });

  it.each([
    [' 10/Minute , 5/day ', { minute: 10, day: 5 }],
    ['1/minute', { minute: 1 }],
  ])('reads %j, spaces and capitals aside', (text, expected) => {
    expect(parseQuotaLimits(text)).toEqual(expected);
  });

  it.each([
    ['x10/minute', /"x10\/minute" is not COUNT\/minute/],
    ['10/minutes', /"10\/minutes" is not COUNT\/minute/],
    ['10/minute,5/minute', /^minute is given twice$/],
    ['0/hour', /^a hour limit must be at least 1$/],
  ])('refuses %j and says why', (text, message) => {
    expect(() => parseQuotaLimits(text)).toThrow(message);
  });

  it.each([
    ['600/minute,5000/hour,10000/day', { minute: 600, hour: 5000, day: 10_000 }],
    [' 5 / minute ', null],
    ['off', null],
    ['OFF', null],
    [' off ', null],
    ['7/DAY', { day: 7 }],
  ])('reads %j', (text, expected) => {
    if (text.includes(' / ')) expect(() => parseQuotaLimits(text)).toThrow(/not COUNT\/minute/);
    else expect(parseQuotaLimits(text)).toEqual(expected);
  });

  it.each([
    ['{"error":true,"reason":"Minutely API request limit exceeded. Please try again in one minute."}', 'minute'],
    ['{"error":true,"reason":"Hourly API request limit exceeded. Please try again in the next hour."}', 'hour'],
    ['{"error":true,"reason":"Daily API request limit exceeded. Please try again tomorrow."}', 'day'],
    ['{"error":true,"reason":"Too many concurrent requests"}', null],
    ['not json', null],
  ])('reads the window an Open-Meteo 429 names: %s', (body, window) => {
    expect(limitedWindow(body)).toBe(window);
  });
});

/** Window counters as createQuota makes them: a key, a limit and how long to keep the count. */
const counters = (limits: number[], name = 'w') =>
  limits.map((limit, index): WindowCounter => ({ key: `gatherql:quota:test:${name}${index}`, limit, ttlMs: 60_000 }));

describe.each(memoryAndRedis('quota', (redis) => (redis ? createRedisQuotaStore(redis) : createMemoryQuotaStore())))('the %s quota store', (_where, open) => {
  it('adds a call of weight 3 to every counter, or, when one of them would pass its limit, to none, and says which one', async () => {
    const store = await open();
    const [minute, hour] = counters([5, 7]);
    expect(await store.take([minute!, hour!], 3)).toBe(-1);
    expect(await store.used([minute!, hour!])).toEqual([3, 3]);
    // 3 more would pass the minute's 5: refused there, nothing added to the hour.
    expect(await store.take([minute!, hour!], 3)).toBe(0);
    expect(await store.used([minute!, hour!])).toEqual([3, 3]);
    expect(await store.take([minute!, hour!], 2)).toBe(-1);
    expect(await store.used([minute!, hour!])).toEqual([5, 5]);
    // A later counter refuses: the earlier one is not charged either.
    const [wide, narrow] = counters([10, 6], 'x');
    expect(await store.take([wide!, narrow!], 4)).toBe(-1);
    expect(await store.take([wide!, narrow!], 3)).toBe(1);
    expect(await store.used([wide!, narrow!])).toEqual([4, 4]);
  });

  it('fills a counter up to its limit, never down', async () => {
    const store = await open();
    const [closed, over] = counters([7, 20], 'f');
    await store.fill(closed!);
    expect(await store.used([closed!])).toEqual([7]);
    expect(await store.take([closed!], 1)).toBe(0);
    expect(await store.take([over!], 9)).toBe(-1);
    await store.fill({ ...over!, limit: 7 });
    expect(await store.used([over!])).toEqual([9]);
  });
});

describe('the memory quota store', () => {
  afterEach(() => vi.useRealTimers());

  it('forgets a count once its counter’s time is over, not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const store = createMemoryQuotaStore();
    const [counter] = counters([1], 'e');
    expect(await store.take([{ ...counter!, ttlMs: 1_000 }], 1)).toBe(-1);
    vi.setSystemTime(T0 + 999);
    expect(await store.used([counter!])).toEqual([1]);
    vi.setSystemTime(T0 + 1_000);
    expect(await store.used([counter!])).toEqual([0]);
    expect(await store.take([{ ...counter!, ttlMs: 1_000 }], 1)).toBe(-1);
  });
});

describe('the Redis quota store, while Redis fails', () => {
  it('counts in memory instead and says why, for every operation', async () => {
    const errors: Error[] = [];
    const store = createRedisQuotaStore(deadRedis(), (error) => errors.push(error));
    const [counter, other] = counters([2, 3], 'd');
    expect(await store.take([counter!], 2)).toBe(-1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(await store.take([counter!], 1)).toBe(0);
    expect(await store.used([counter!])).toEqual([2]);
    expect(errors).toHaveLength(3);
    await store.fill(other!);
    expect(errors).toHaveLength(4);
    expect(await store.used([other!])).toEqual([3]);
  });
});

describe.skipIf(!sharedRedis)('the Redis quota store, in Redis', () => {
  it('keeps a window’s count until the window ends and 5 s more, as createQuota asks', async () => {
    const url = redisDatabase('quota');
    await emptyRedis(url);
    const redis = new Redis(url);
    try {
      // T0 is 10 s into its minute: 50 s of the window left, and 5 s more.
      const budget = createQuota({ name: 'ttl', limits: { minute: 5 }, store: createRedisQuotaStore(redis), now: () => T0 });
      expect(await budget.take(1)).toEqual({ granted: true });
      const left = await redis.pttl(`gatherql:quota:ttl:minute:${T0 - 10_000}`);
      expect(left).toBeGreaterThan(45_000);
      expect(left).toBeLessThanOrEqual(55_000);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps each count for the time its counter says, no longer', async () => {
    const url = redisDatabase('quota');
    await emptyRedis(url);
    const redis = new Redis(url);
    try {
      const store = createRedisQuotaStore(redis);
      const [counter] = counters([5], 't');
      await store.take([{ ...counter!, ttlMs: 30_000 }], 2);
      const left = await redis.pttl(counter!.key);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(30_000);
      await store.fill({ ...counter!, ttlMs: 20_000 });
      expect(await redis.get(counter!.key)).toBe('5');
      expect(await redis.pttl(counter!.key)).toBeLessThanOrEqual(20_000);
    } finally {
      redis.disconnect();
    }
  });
});

describe.each(dialects)('OPEN_METEO_QUOTA against the simulator, on $name', (dialect) => {
  const database = useDatabase(dialect);
  let harness: WeatherHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  async function start(env: Record<string, string>) {
    let now = T0;
    harness = await startWeatherHarness({ DATABASE_URL: database.url, ...env }, { now: () => now });
    return { advance: (ms: number) => (now += ms) };
  }
  const places = async (names: string[]) =>
    (
      await harness!.gateway.query(
        `query ($n: [String!]!) { cities(names: $n) { __typename ... on City { name } ... on CityError { name code message retryAfterSeconds } } }`,
        { n: names },
      )
    ).body.data.cities;
  const remaining = () => counterValue(harness!.gateway.metrics.upstreamQuotaRemaining, { upstream: 'open-meteo', window: 'minute' });

  it.skipIf(!dialect.available)(
    'sends the calls that fit; the next cold city is QUOTA_EXHAUSTED, and no call goes out for it; cached ones still answer',
    async () => {
      const clock = await start({ OPEN_METEO_QUOTA: '4/minute' });
      expect((await places(['Paris', 'Rome', 'Lima', 'Oslo'])).map((city: { __typename: string }) => city.__typename)).toEqual([
        'City',
        'City',
        'City',
        'City',
      ]);
      expect(await remaining()).toBe(0);
      const [cairo] = await places(['Cairo']);
      expect(cairo).toMatchObject({ __typename: 'CityError', code: 'QUOTA_EXHAUSTED', retryAfterSeconds: 50 });
      expect(cairo.message).toMatch(/minute budget for open-meteo is spent/);
      expect(harness!.sim.calls().geocodingByName.cairo).toBeUndefined();
      expect(harness!.sim.calls().geocoding).toBe(4);
      // Cached places answer; a part that needs a call does not get one.
      const response = await harness!.gateway.query(
        '{ cities(names: ["Paris"]) { ... on City { name airQuality { ... on UpstreamError { source code retryAfterSeconds } } } } }',
      );
      expect(response.body.data.cities[0]).toEqual({ name: 'Paris', airQuality: { source: 'air-quality', code: 'QUOTA_EXHAUSTED', retryAfterSeconds: 50 } });
      expect(harness!.sim.calls().airQuality).toBe(0);
      // A new minute, a new budget.
      clock.advance(50_000);
      expect((await places(['Cairo']))[0].__typename).toBe('City');
    },
  );

  it.skipIf(!dialect.available)('counts every location of a batched call, and lets a cached value, even a stale one, stand in', async () => {
    const clock = await start({ OPEN_METEO_QUOTA: '5/minute', WEATHER_CACHE_TTL_S: '1', STALE_WHILE_REVALIDATE_S: '0' });
    // Two places (2) and one forecast call for both (2 more: one per location).
    expect((await harness!.weather(['Paris', 'Rome'])).map((item) => item.__typename)).toEqual(['CityWeather', 'CityWeather']);
    expect(await remaining()).toBe(1);
    clock.advance(2000);
    // Expired; a new forecast call would need 2 units, 1 is left: the old values stand in.
    const again = await harness!.weather(['Paris', 'Rome']);
    expect(again.map((item) => [item.__typename, item.stale])).toEqual([
      ['CityWeather', true],
      ['CityWeather', true],
    ]);
    expect(harness!.sim.calls().forecast).toBe(1);
  });

  it.skipIf(!dialect.available)('a 429 that names its window stops every Open-Meteo call until the window turns', async () => {
    const clock = await start({ OPEN_METEO_QUOTA: '600/minute,5000/hour,10000/day' });
    await places(['Paris']);
    harness!.sim.setFaults([
      {
        endpoint: 'geocoding',
        times: 1,
        fault: { kind: 'status', status: 429, reason: 'Minutely API request limit exceeded. Please try again in one minute.' },
      },
    ]);
    const [lima] = await harness!.weather(['Lima']);
    expect(lima).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 50 });
    // Not retried into the closed window.
    expect(harness!.sim.calls().geocodingByName.lima).toBe(1);
    harness!.sim.resetCalls();
    const response = await harness!.gateway.query(
      '{ cities(names: ["Oslo", "Paris"]) { ... on CityError { code } ... on City { weather { ... on WeatherError { code } } country { __typename } } } }',
    );
    expect(response.body.data.cities).toEqual([{ code: 'QUOTA_EXHAUSTED' }, { weather: { code: 'QUOTA_EXHAUSTED' }, country: { __typename: 'Country' } }]);
    // No Open-Meteo host was called; REST Countries has a budget of its own (the dataset, 3 pages).
    expect(harness!.sim.calls()).toMatchObject({ geocoding: 0, forecast: 0, airQuality: 0, countries: 3 });
    clock.advance(50_000);
    expect((await harness!.weather(['Lima']))[0]!.__typename).toBe('CityWeather');
  });
});

describe.skipIf(!sharedRedis)('OPEN_METEO_QUOTA with Redis', () => {
  const gateways: WeatherHarness[] = [];
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
  });

  it('two instances on one Redis spend from one budget', async () => {
    const url = redisDatabase('quota');
    await emptyRedis(url);
    const env = { REDIS_URL: url, OPEN_METEO_QUOTA: '4/minute' };
    const now = () => T0;
    const [one, two] = [await startWeatherHarness(env, { now }), await startWeatherHarness(env, { now })];
    gateways.push(one, two);
    const place = async (harness: WeatherHarness, name: string) =>
      (await harness.gateway.query(`{ cities(names: ["${name}"]) { __typename ... on CityError { code } } }`)).body.data.cities[0];
    for (const name of ['Paris', 'Rome']) expect((await place(one, name)).__typename).toBe('City');
    for (const name of ['Lima', 'Oslo']) expect((await place(two, name)).__typename).toBe('City');
    expect(await place(one, 'Cairo')).toEqual({ __typename: 'CityError', code: 'QUOTA_EXHAUSTED' });
    expect(await place(two, 'Dubai')).toEqual({ __typename: 'CityError', code: 'QUOTA_EXHAUSTED' });
    expect(one.sim.calls().geocoding + two.sim.calls().geocoding).toBe(4);
  });

  it('counts a forecast call for two places as two units, on every instance', async () => {
    const url = redisDatabase('quota');
    await emptyRedis(url);
    const env = { REDIS_URL: url, OPEN_METEO_QUOTA: '6/minute' };
    const now = () => T0;
    const [one, two] = [await startWeatherHarness(env, { now }), await startWeatherHarness(env, { now })];
    gateways.push(one, two);
    // Two places (1 unit each) and one forecast call for both (2 units): 4 of 6.
    expect((await one.weather(['Paris', 'Rome'])).map((item) => item.__typename)).toEqual(['CityWeather', 'CityWeather']);
    expect(one.sim.calls().forecast).toBe(1);
    // The other instance has 2 left: one place and its forecast, then nothing.
    expect((await two.weather(['Lima']))[0]!.__typename).toBe('CityWeather');
    expect((await two.gateway.query('{ cities(names: ["Oslo"]) { __typename ... on CityError { code } } }')).body.data.cities).toEqual([
      { __typename: 'CityError', code: 'QUOTA_EXHAUSTED' },
    ]);
  });
});
