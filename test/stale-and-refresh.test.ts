import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { dialects } from './helpers/databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { startWeatherHarness, type WeatherHarness, type WeatherItem } from './helpers/weather.js';

// Stale-while-revalidate and refresh-ahead, against the simulator, on a clock of the test's:
// the caches' time moves only when the test says, so no verdict depends on how fast the
// machine is. Background calls are waited for by their counts, never by a sleep.

const T0 = Date.UTC(2026, 10, 25, 9, 0, 10);
// A response cache would answer repeated reads itself; these tests are about the upstream caches.
const NO_RESPONSE_CACHE = { tuning: { responseTtlMs: 0, shareQueries: false } };

describe.each(dialects)('on $name', (dialect) => {
  const database = useDatabase(dialect);
  let harness: WeatherHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(env: Record<string, string>) {
    let now = T0;
    harness = await startWeatherHarness({ DATABASE_URL: database.url, ...env }, { now: () => now }, NO_RESPONSE_CACHE);
    return { advance: (ms: number) => (now += ms) };
  }
  const one = async (city: string): Promise<WeatherItem> => (await harness!.weather([city]))[0]!;
  const weatherEvents = (event: string) => counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'weather', event });
  const forecastsAnswered = () => counterValue(harness!.gateway.metrics.upstreamRequests, { source: 'forecast', outcome: 'ok' });

  it.skipIf(!dialect.available)('stale-while-revalidate: an expired value is answered at once as STALE while one refresh runs; then it is fresh', async () => {
    const clock = await start({ WEATHER_CACHE_TTL_S: '1', STALE_WHILE_REVALIDATE_S: '60' });
    expect((await one('Paris')).freshness!.state).toBe('LIVE');
    clock.advance(1500);
    // The upstream is made slow: its answer is held until the test releases it.
    harness!.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'hold' } }]);
    const stale = await one('Paris');
    expect(stale).toMatchObject({ __typename: 'CityWeather', stale: true, freshness: { state: 'STALE', ageSeconds: 1, ttlSeconds: 1 } });
    await expect.poll(() => harness!.sim.held()).toBe(1);
    // Asked again while the refresh is out: answered stale too, and no second call.
    expect((await one('Paris')).freshness!.state).toBe('STALE');
    expect(harness!.sim.held()).toBe(1);

    harness!.sim.release();
    await expect.poll(forecastsAnswered).toBe(2);
    const fresh = await one('Paris');
    expect(fresh).toMatchObject({ stale: false, freshness: { state: 'CACHED', ageSeconds: 0 } });
    expect(harness!.sim.calls().forecast).toBe(2);
    expect(await weatherEvents('refresh')).toBe(1);
  });

  it.skipIf(!dialect.available)('waits for the upstream once a value is past the stale-while-revalidate window', async () => {
    const clock = await start({ WEATHER_CACHE_TTL_S: '1', STALE_WHILE_REVALIDATE_S: '1' });
    await one('Paris');
    clock.advance(2001);
    expect((await one('Paris')).freshness!.state).toBe('LIVE');
    expect(await weatherEvents('refresh')).toBe(0);
  });

  it.skipIf(!dialect.available)(
    'refresh-ahead: a city read every 300 ms over five TTLs never answers STALE or waits, at one call per refresh, not per read',
    async () => {
      const clock = await start({ WEATHER_CACHE_TTL_S: '2', STALE_WHILE_REVALIDATE_S: '0' });
      const states: string[] = [];
      for (let read = 0; read * 300 <= 10_000; read += 1) {
        states.push((await one('Oslo')).freshness!.state);
        // A refresh started by this read has answered (and been stored) before time moves on.
        const refreshes = await weatherEvents('refresh');
        await expect.poll(forecastsAnswered).toBe(1 + refreshes);
        clock.advance(300);
      }
      expect(states[0]).toBe('LIVE');
      expect(states.slice(1).every((state) => state === 'CACHED')).toBe(true);
      // Fetched at 0 ms; each value is refreshed by the first read in the last fifth of its 2 s:
      // at 1.8 s, 3.6 s, 5.4 s, 7.2 s and 9.0 s. Thirty-four reads, six upstream calls.
      expect(states).toHaveLength(34);
      expect(harness!.sim.calls().forecast).toBe(6);
      expect(await weatherEvents('refresh')).toBe(5);
      expect(await weatherEvents('miss')).toBe(1);
    },
  );

  it.skipIf(!dialect.available)(
    'refresh-ahead needs a hot key: one read in the last fifth of the TTL refreshes nothing, and a city that goes cold is refreshed no more',
    async () => {
      const clock = await start({ WEATHER_CACHE_TTL_S: '2', STALE_WHILE_REVALIDATE_S: '0' });
      let elapsed = 0;
      /** Reads Oslo `at` ms after the start. */
      const read = async (at: number) => {
        clock.advance(at - elapsed);
        elapsed = at;
        return (await one('Oslo')).freshness!.state;
      };
      expect(await read(0)).toBe('LIVE');
      // Read once since it was fetched, in the last fifth: not hot, not refreshed; it expires.
      expect(await read(1900)).toBe('CACHED');
      expect(await read(2100)).toBe('LIVE');
      expect(await weatherEvents('refresh')).toBe(0);
      // Hot: two reads, then one in the last fifth (from 3.7 s) refreshes it.
      for (const at of [2500, 3000]) expect(await read(at)).toBe('CACHED');
      expect(await read(3800)).toBe('CACHED');
      await expect.poll(forecastsAnswered).toBe(3);
      expect(await weatherEvents('refresh')).toBe(1);
      // Cold from then on: one read in the refreshed value's last fifth (from 5.4 s) is not enough.
      expect(await read(5500)).toBe('CACHED');
      expect(await read(5900)).toBe('LIVE');
      expect(await weatherEvents('refresh')).toBe(1);
      expect(harness!.sim.calls().forecast).toBe(4);
    },
  );

  it.skipIf(!dialect.available)('refresh-ahead is skipped while the quota is short; the key is then fetched when asked', async () => {
    const clock = await start({ WEATHER_CACHE_TTL_S: '2', STALE_WHILE_REVALIDATE_S: '0', OPEN_METEO_QUOTA: '10/minute' });
    // 2 units (geocoding + forecast), then 6 more geocoding: 2 of 10 left, under the reserve of a fifth.
    await one('Oslo');
    for (const city of ['Paris', 'Rome', 'Lima', 'Cairo', 'Dubai', 'Seoul']) await harness!.gateway.query(`{ cities(names: ["${city}"]) { __typename } }`);
    clock.advance(1000);
    await one('Oslo');
    clock.advance(900);
    expect((await one('Oslo')).freshness!.state).toBe('CACHED');
    expect(await weatherEvents('refresh')).toBe(0);
    expect(harness!.sim.calls().forecast).toBe(1);
  });
});

describe.skipIf(!sharedRedis)('refresh-ahead with Redis', () => {
  const instances: WeatherHarness[] = [];
  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.close();
  });

  it('one instance refreshes a hot key; the other reads what it wrote to the shared tier', async () => {
    const url = redisDatabase('refresh-ahead');
    await emptyRedis(url);
    const admin = new Redis(url);
    let now = T0;
    const env = { REDIS_URL: url, WEATHER_CACHE_TTL_S: '2', STALE_WHILE_REVALIDATE_S: '0' };
    const [one, two] = [
      await startWeatherHarness(env, { now: () => now }, NO_RESPONSE_CACHE),
      await startWeatherHarness(env, { now: () => now }, NO_RESPONSE_CACHE),
    ];
    instances.push(one, two);
    const state = async (instance: WeatherHarness) => (await instance.weather(['Oslo']))[0]!.freshness!.state;
    const refreshes = (instance: WeatherHarness) => counterValue(instance.gateway.metrics.cacheEvents, { cache: 'weather', event: 'refresh' });

    expect(await state(one)).toBe('LIVE');
    expect(await state(two)).toBe('CACHED'); // from the shared tier
    for (const at of [500, 1000]) {
      now = T0 + at;
      await state(one);
      await state(two);
    }
    // In the last fifth of the TTL both would refresh; one takes the key's lock, first.
    now = T0 + 1700;
    await state(one);
    await expect.poll(() => one.sim.calls().forecast).toBe(2);
    await state(two);
    await expect.poll(() => refreshes(one)).toBe(1);
    expect(await refreshes(two)).toBe(0);
    // Past the first value's TTL: the other instance reads the refreshed value from the shared tier.
    // What it wrote is in the shared tier (Oslo's coordinates key, rounded to 2 decimals).
    const shared = async () => JSON.parse((await admin.get('gatherql:weather:59.91,10.75')) ?? '{}').fetchedAt;
    await expect.poll(shared).toBe(T0 + 1700);
    admin.disconnect();
    now = T0 + 2100;
    expect(await state(two)).toBe('CACHED');
    expect(await state(one)).toBe('CACHED');
    expect(two.sim.calls().forecast).toBe(0);
  });
});
