import { afterEach, describe, expect, it } from 'vitest';
import { REQUEST_CITY_FACTOR } from '../resolvers/city-allowance.js';
import { LOCATION_BATCH_CAP } from '../sources/open-meteo/service.js';
import { counterValue } from '../metrics.js';
import { SIM_CITIES, simWeatherAt } from '../simulator/cities.js';
import { outcomes, startWeatherHarness, type WeatherHarness, type WeatherItem } from './helpers/weather.js';

let harness: WeatherHarness;
afterEach(() => harness?.close());

describe('weather', () => {
  it('answers a city with its location and current conditions, keeping the city as asked', async () => {
    harness = await startWeatherHarness();
    const [berlin] = await harness.weather([' berlin ']);
    const expected = simWeatherAt(52.52, 13.41);
    expect(berlin).toMatchObject({
      __typename: 'CityWeather',
      city: ' berlin ',
      temperatureC: expected.temperature_2m,
      apparentTemperatureC: expected.apparent_temperature,
      relativeHumidity: expected.relative_humidity_2m,
      windSpeedKmh: expected.wind_speed_10m,
      weatherCode: expected.weather_code,
      stale: false,
      location: { name: 'Berlin', country: 'Germany', latitude: 52.52437, longitude: 13.41053, timezone: 'Europe/Berlin' },
    });
    expect(typeof berlin!.conditions).toBe('string');
    expect(berlin!.conditions).not.toMatch(/Unknown/);
    expect(berlin!.observedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
  });

  it(`N distinct cold cities cost N geocoding calls and ceil(N / ${LOCATION_BATCH_CAP}) forecast calls`, async () => {
    harness = await startWeatherHarness();
    const cities = SIM_CITIES.slice(0, 45).map((city) => city.name);
    const results = await harness.weather(cities);
    expect(outcomes(results)).toEqual(cities.map((city) => `${city}: ok`));
    const calls = harness.sim.calls();
    expect(calls.geocoding).toBe(45);
    expect(Object.values(calls.geocodingByName).every((count) => count === 1)).toBe(true);
    expect(calls.forecast).toBe(Math.ceil(45 / LOCATION_BATCH_CAP));
    expect(calls.forecastBatchSizes.toSorted((a, b) => a - b)).toEqual([5, 20, 20]);
  });

  it('50 concurrent identical requests for a cold city cost 1 geocoding call and 1 forecast call', async () => {
    harness = await startWeatherHarness();
    const events = harness.gateway.metrics.cacheEvents;
    // Held until every request has asked: then all of them are surely in flight together.
    harness.sim.setFaults([{ fault: { kind: 'hold' } }]);
    // Fifty spellings of one city: identical requests would share one answer before reaching the cache.
    const spellings = Array.from({ length: 50 }, (_, n) => `${' '.repeat(n % 5)}Lima${' '.repeat(Math.floor(n / 5))}`);
    const responses = Promise.all(spellings.map((spelling) => harness.weather([spelling])));
    await expect.poll(() => counterValue(events, { cache: 'geocoding' }), { timeout: 20_000 }).toBe(50);
    harness.sim.release();
    expect((await responses).flat().every((item) => item.__typename === 'CityWeather')).toBe(true);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 1, forecast: 1 });
    expect(await counterValue(events, { cache: 'geocoding', event: 'miss' })).toBe(1);
    expect(await counterValue(events, { cache: 'geocoding', event: 'joined' })).toBe(49);
    expect(await counterValue(events, { cache: 'weather', event: 'miss' })).toBe(1);
    expect(await counterValue(events, { cache: 'weather', event: 'joined' })).toBe(49);
  });

  it('a repeat within the TTL costs no upstream call', async () => {
    harness = await startWeatherHarness();
    const first = await harness.weather(['Oslo', 'Cairo', 'Atlantis']);
    harness.sim.resetCalls();
    const again = await harness.weather(['Oslo', 'Cairo', 'Atlantis']);
    // The same answers, now from the caches, and said so.
    const fromCache = (item: WeatherItem) =>
      item.freshness ? { ...item, freshness: { ...item.freshness, state: 'CACHED', ageSeconds: expect.any(Number) } } : item;
    expect(again).toEqual(first.map(fromCache));
    expect(first.slice(0, 2).map((item) => item.freshness!.state)).toEqual(['LIVE', 'LIVE']);
    expect(outcomes(again)).toEqual(['Oslo: ok', 'Cairo: ok', 'Atlantis: CITY_NOT_FOUND']);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 0, forecast: 0 });
    expect(await counterValue(harness.gateway.metrics.cacheEvents, { event: 'hit' })).toBe(5);
  });

  it('spelling variants and GraphQL aliases in one request share one look-up', async () => {
    harness = await startWeatherHarness();
    const variants = ['Zürich', '  zürich ', 'ZÜRICH', 'Zu\u0308rich', 'Ｚürich'];
    const response = await harness.gateway.query(
      `query ($a: [String!]!, $b: [String!]!) {
        a: weather(cities: $a) { ... on CityWeather { city location { name } } }
        b: weather(cities: $b) { ... on CityWeather { city location { name } } }
      }`,
      { a: variants.slice(0, 3), b: variants.slice(3) },
    );
    expect(response.body.errors).toBeUndefined();
    const all = [...response.body.data.a, ...response.body.data.b];
    expect(all.map((item: { city: string }) => item.city)).toEqual(variants);
    expect(all.every((item: { location: { name: string } }) => item.location.name === 'Zürich')).toBe(true);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 1, forecast: 1 });
  });

  it('two names for one place cost two geocoding calls but one forecast call (the weather cache keys on coordinates)', async () => {
    harness = await startWeatherHarness();
    expect(outcomes(await harness.weather(['Vienna', 'Wien']))).toEqual(['Vienna: ok', 'Wien: ok']);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 2, forecast: 1, forecastBatchSizes: [1] });
  });

  it('a place geocoding does not know is CITY_NOT_FOUND, remembered for a while', async () => {
    harness = await startWeatherHarness();
    expect(outcomes(await harness.weather(['Atlantis', 'Lagos']))).toEqual(['Atlantis: CITY_NOT_FOUND', 'Lagos: ok']);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 2, forecast: 1 });
    harness.sim.resetCalls();
    await harness.weather(['Atlantis']);
    expect(harness.sim.calls().geocoding).toBe(0);
  });

  it('names that cannot be places are INVALID_CITY and are never sent upstream', async () => {
    harness = await startWeatherHarness();
    const invalid = ['', '   ', 'x'.repeat(101), 'Par\u0000is', 'Paris\n', 'Lo\tndon', 'Ber\uD800lin', '12345', '!!!'];
    const results = await harness.weather([...invalid, 'Tokyo']);
    expect(outcomes(results)).toEqual([...invalid.map((city) => `${city}: INVALID_CITY`), 'Tokyo: ok']);
    expect(results.slice(0, -1).every((item) => typeof item.message === 'string' && item.message.length > 0)).toBe(true);
    expect(harness.sim.calls().geocodingByName).toEqual({ tokyo: 1 });
    // 100 characters is still a name (and not found here).
    expect(outcomes(await harness.weather(['y'.repeat(100)]))).toEqual([`${'y'.repeat(100)}: CITY_NOT_FOUND`]);
  });

  it('more cities than WEATHER_MAX_CITIES is BAD_USER_INPUT, and nothing is sent upstream', async () => {
    harness = await startWeatherHarness({ WEATHER_MAX_CITIES: '5' });
    const response = await harness.query(['Paris', 'Berlin', 'Rome', 'Madrid', 'Oslo', 'Lima']);
    expect(response.status).toBe(200);
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]).toMatchObject({ path: ['weather'], extensions: { code: 'BAD_USER_INPUT', maxCities: 5 } });
    expect(response.body.errors![0]!.message).toMatch(/at most 5 cities/);
    expect(harness.sim.calls()).toMatchObject({ geocoding: 0, forecast: 0 });
    expect(outcomes(await harness.weather(['Paris', 'Berlin', 'Rome', 'Madrid', 'Oslo']))).toHaveLength(5);
  });

  it(`shares an allowance of ${REQUEST_CITY_FACTOR} x WEATHER_MAX_CITIES cities among a request's weather fields`, async () => {
    harness = await startWeatherHarness({ WEATHER_MAX_CITIES: '3' });
    const fields = Array.from({ length: 5 }, (_, i) => `f${i}: weather(cities: ["Paris", "Rome", "Lima"]) { __typename }`);
    const response = await harness.gateway.query(`{ ${fields.join(' ')} }`);
    // Four fields of three fit in twelve; the fifth is refused (and, the field being
    // non-null, takes the whole data with it).
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]).toMatchObject({ path: ['f4'], extensions: { code: 'BAD_USER_INPUT', maxCitiesPerRequest: 12 } });
    // The allowance is per request: the next one starts afresh.
    const next = await harness.gateway.query(`{ ${fields.slice(0, 4).join(' ')} }`);
    expect(next.body.errors).toBeUndefined();
    for (let i = 0; i < 4; i++) expect(next.body.data![`f${i}`]).toHaveLength(3);
  });

  it('counts every attempt sent and every cache look-up in the Prometheus counters', async () => {
    harness = await startWeatherHarness();
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Paris', times: 1, fault: { kind: 'status', status: 503 } }]);
    await harness.weather(['Paris', 'Rome']);
    await harness.weather(['Rome']);
    const { upstreamRequests, cacheEvents } = harness.gateway.metrics;
    const calls = harness.sim.calls();
    expect(calls).toMatchObject({ geocoding: 3, forecast: 1 });
    expect(await counterValue(upstreamRequests, { source: 'geocoding', outcome: 'ok' })).toBe(2);
    expect(await counterValue(upstreamRequests, { source: 'geocoding', outcome: 'error' })).toBe(1);
    expect(await counterValue(upstreamRequests, { source: 'forecast', outcome: 'ok' })).toBe(1);
    expect(await counterValue(upstreamRequests)).toBe(calls.geocoding + calls.forecast);
    expect(await counterValue(cacheEvents, { cache: 'geocoding', event: 'miss' })).toBe(2);
    expect(await counterValue(cacheEvents, { cache: 'weather', event: 'miss' })).toBe(2);
    expect(await counterValue(cacheEvents, { cache: 'geocoding', event: 'hit' })).toBe(1);
    expect(await counterValue(cacheEvents, { cache: 'weather', event: 'hit' })).toBe(1);
  });

  it('2,000 distinct cities over time leave each cache at its bound', async () => {
    harness = await startWeatherHarness({}, { cache: { maxEntries: 300 } });
    for (let batch = 0; batch < 40; batch += 1) {
      const cities = Array.from({ length: 50 }, (_, index) => `Nowhere ${batch * 50 + index}`);
      await harness.weather(cities);
    }
    await harness.weather(SIM_CITIES.map((city) => city.name).slice(0, 50));
    expect(harness.sim.calls().geocoding).toBe(2050);
    expect(harness.gateway.sources.cacheSizes()).toMatchObject({ geocoding: 300, weather: 50 });
  });
});
