import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { createMemoryQuotaStore, createQuota, parseQuotaLimits } from '../sources/kit/quota.js';
import { limitedWindow } from '../sources/open-meteo/limits.js';
import { dialects } from './helpers/databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
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

  it('refuses nothing when a window has no limit, and takes no unit from any window when one refuses', async () => {
    const clock = { now: T0 };
    const budget = quota('5/day', clock);
    expect(await budget.take(5)).toEqual({ granted: true });
    expect((await budget.take(1)).granted).toBe(false);
    expect(await budget.remaining()).toEqual({ day: 0 });
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

  it.each([
    ['600/minute,5000/hour,10000/day', { minute: 600, hour: 5000, day: 10_000 }],
    [' 5 / minute ', null],
    ['off', null],
    ['OFF', null],
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
});
