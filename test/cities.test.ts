import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_CITY_FACTOR } from '../resolvers/city-allowance.js';
import { simAirQualityAt } from '../simulator/air-quality.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { findCountry, SIM_COUNTRIES } from '../simulator/countries.js';
import { LOCATION_BATCH_CAP } from '../sources/open-meteo/service.js';
import { PAGE_LIMIT } from '../sources/rest-countries/v5-client.js';
import { dialects } from './helpers/databases.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// Country.code and UpstreamError.code differ in type, so a selection of both needs an alias.
const ALL_PARTS = /* GraphQL */ `
  query Cities($names: [String!]!) {
    cities(names: $names) {
      __typename
      ... on City {
        name
        location { name country countryCode latitude longitude }
        weather { __typename ... on CityWeather { temperatureC stale freshness { state ttlSeconds ageSeconds } } ... on WeatherError { code message } }
        airQuality {
          __typename
          ... on AirQuality { usAqi europeanAqi category pm2_5 pm10 ozone nitrogenDioxide observedAt freshness { state ttlSeconds } }
          ... on UpstreamError { source code message retryAfterSeconds }
        }
        country {
          __typename
          ... on Country { isoCode: code name officialName capitals region subregion population currencies { code name symbol } languages flag freshness { state } }
          ... on UpstreamError { source code message retryAfterSeconds }
        }
      }
      ... on CityError { name code message }
    }
  }
`;

const WEATHER_ONLY = /* GraphQL */ `
  query ($names: [String!]!) {
    cities(names: $names) { __typename ... on City { name weather { __typename } } ... on CityError { code } }
  }
`;

/** Every upstream's calls at once, for exact count assertions. */
const callCounts = (harness: WeatherHarness) => {
  const { geocoding, forecast, airQuality, countries } = harness.sim.calls();
  return { geocoding, forecast, airQuality, countries };
};

describe.each(dialects)('cities on $name', (dialect) => {
  let databaseUrl: string;
  let harness: WeatherHarness | undefined;
  beforeAll(async () => {
    if (dialect.available) databaseUrl = await dialect.createDatabase();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  afterAll(async () => {
    if (databaseUrl) await dialect.dropDatabase(databaseUrl);
  });
  const start = async (env: Record<string, string> = {}) => (harness = await startWeatherHarness({ DATABASE_URL: databaseUrl, ...env }));
  const cities = async (names: string[], query = ALL_PARTS) => {
    const response = await harness!.gateway.query(query, { names });
    expect(response.body.errors).toBeUndefined();
    return response.body.data.cities as any[];
  };

  it.skipIf(!dialect.available)('answers each name in input order with its place, weather, air quality and country, or a CityError', async () => {
    await start();
    const [paris, atlantis, empty, tokyo] = await cities(['Paris', 'Atlantis', ' ', 'tokyo']);
    const parisCity = SIM_CITIES.find((city) => city.name === 'Paris')!;
    const air = simAirQualityAt(parisCity.latitude, parisCity.longitude);
    const france = findCountry('FR')!;
    expect(paris).toMatchObject({
      __typename: 'City',
      name: 'Paris',
      location: { name: 'Paris', country: 'France', countryCode: 'FR' },
      weather: { __typename: 'CityWeather', stale: false, freshness: { state: 'LIVE', ttlSeconds: 300, ageSeconds: 0 } },
      airQuality: {
        __typename: 'AirQuality',
        usAqi: air.us_aqi,
        europeanAqi: air.european_aqi,
        pm2_5: air.pm2_5,
        pm10: air.pm10,
        ozone: air.ozone,
        nitrogenDioxide: air.nitrogen_dioxide,
        freshness: { state: 'LIVE', ttlSeconds: 900 },
      },
      country: {
        __typename: 'Country',
        isoCode: 'FR',
        name: france.names.common,
        officialName: france.names.official,
        capitals: france.capitals.map((capital) => capital.name),
        region: france.region,
        population: france.population,
        currencies: france.currencies,
        languages: france.languages.map((language) => language.name),
        flag: '🇫🇷',
        freshness: { state: 'LIVE' },
      },
    });
    expect(typeof paris.airQuality.category).toBe('string');
    expect(atlantis).toMatchObject({ __typename: 'CityError', name: 'Atlantis', code: 'CITY_NOT_FOUND' });
    expect(empty).toMatchObject({ __typename: 'CityError', name: ' ', code: 'INVALID_CITY' });
    expect(tokyo).toMatchObject({ __typename: 'City', name: 'tokyo', country: { isoCode: 'JP' } });

    // Asked again: every part from the caches, and said so.
    const [again] = await cities(['Paris']);
    expect([again.weather.freshness.state, again.airQuality.freshness.state, again.country.freshness.state]).toEqual(['CACHED', 'CACHED', 'CACHED']);
  });

  it.skipIf(!dialect.available)(
    `N cold cities in M countries, all parts: N geocoding + ceil(N/${LOCATION_BATCH_CAP}) forecast + ceil(N/${LOCATION_BATCH_CAP}) air-quality calls, and the whole countries dataset in ceil(${SIM_COUNTRIES.length}/${PAGE_LIMIT}) pages`,
    async () => {
      await start();
      const names = SIM_CITIES.slice(0, 45).map((city) => city.name);
      const answered = await cities(names);
      expect(answered.map((city) => [city.__typename, city.weather.__typename, city.airQuality.__typename, city.country.__typename])).toEqual(
        names.map(() => ['City', 'CityWeather', 'AirQuality', 'Country']),
      );
      expect(callCounts(harness!)).toEqual({
        geocoding: 45,
        forecast: Math.ceil(45 / LOCATION_BATCH_CAP),
        airQuality: Math.ceil(45 / LOCATION_BATCH_CAP),
        countries: Math.ceil(SIM_COUNTRIES.length / PAGE_LIMIT),
      });
      expect(harness!.sim.calls().countriesOffsets).toEqual([0, PAGE_LIMIT, 2 * PAGE_LIMIT]);
    },
  );

  it.skipIf(!dialect.available)('fetches only the parts a query selects', async () => {
    await start();
    const answered = await cities(['Berlin', 'Lima', 'Oslo'], WEATHER_ONLY);
    expect(answered.map((city) => city.weather.__typename)).toEqual(['CityWeather', 'CityWeather', 'CityWeather']);
    expect(callCounts(harness!)).toEqual({ geocoding: 3, forecast: 1, airQuality: 0, countries: 0 });
  });

  it.skipIf(!dialect.available)('shares every cache and batch with weather(cities:)', async () => {
    await start();
    const response = await harness!.gateway.query(
      `{ weather(cities: ["Paris", "Rome"]) { __typename } cities(names: ["paris", "Rome"]) { ... on City { weather { __typename } } } }`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(callCounts(harness!)).toEqual({ geocoding: 2, forecast: 1, airQuality: 0, countries: 0 });
    expect(harness!.sim.calls().forecastBatchSizes).toEqual([2]);
  });

  it.skipIf(!dialect.available)('countries down on a cold gateway: the bundled dataset stands in for every country, the other parts unaffected', async () => {
    await start();
    harness!.sim.setFaults([{ endpoint: 'countries', fault: { kind: 'status', status: 503 } }]);
    const answered = await cities(['Paris', 'Tokyo', 'Lima']);
    for (const city of answered) {
      expect(city.weather.__typename).toBe('CityWeather');
      expect(city.airQuality.__typename).toBe('AirQuality');
      expect(city.country).toMatchObject({ __typename: 'Country', isoCode: city.location.countryCode, population: null, freshness: { state: 'BUNDLED' } });
    }
    // One load, its first page tried and retried (TEST_POLICY), and no more: the other look-ups waited for it.
    expect(harness!.sim.calls().countries).toBe(3);
  });

  it.skipIf(!dialect.available)('a location the air-quality API refuses costs at most 2 x ceil(log2 n) more calls, and fails alone', async () => {
    await start();
    const names = SIM_CITIES.slice(0, 20).map((city) => city.name);
    harness!.sim.setFaults([{ endpoint: 'air-quality', city: names[13], fault: { kind: 'status', status: 400 } }]);
    const answered = await cities(names);
    expect(answered.map((city) => city.airQuality.__typename)).toEqual(names.map((name) => (name === names[13] ? 'UpstreamError' : 'AirQuality')));
    expect(answered[13].airQuality).toMatchObject({ source: 'air-quality', code: 'UPSTREAM_BAD_RESPONSE' });
    expect(harness!.sim.calls().airQuality - 1).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(20)));
    expect(answered.every((city) => city.weather.__typename === 'CityWeather' && city.country.__typename === 'Country')).toBe(true);
  });

  it.skipIf(!dialect.available)('a country whose entry arrives garbled fails alone, as UPSTREAM_BAD_RESPONSE', async () => {
    await start();
    harness!.sim.setFaults([{ endpoint: 'countries', country: 'NG', fault: { kind: 'wrong-types' } }]);
    const [lagos, lima] = await cities(['Lagos', 'Lima']);
    expect(lagos.weather.__typename).toBe('CityWeather');
    expect(lagos.country).toEqual({
      __typename: 'UpstreamError',
      source: 'countries',
      code: 'UPSTREAM_BAD_RESPONSE',
      message: expect.stringMatching(/^The countries service answered with an unexpected shape for NG \(/),
      retryAfterSeconds: null,
    });
    expect(lima.country).toMatchObject({ __typename: 'Country', isoCode: 'PE', freshness: { state: 'LIVE' } });
  });

  it.skipIf(!dialect.available)(`shares the allowance of ${REQUEST_CITY_FACTOR} x WEATHER_MAX_CITIES names with weather(cities:)`, async () => {
    await start({ WEATHER_MAX_CITIES: '2' });
    const fields = ['a: weather(cities: ["Paris", "Rome"]) { __typename }', 'b: cities(names: ["Lima", "Oslo"]) { __typename }'];
    const fits = await harness!.gateway.query(
      `{ ${fields.join(' ')} x: cities(names: ["Cairo", "Dubai"]) { __typename } y: weather(cities: ["Seoul", "Tokyo"]) { __typename } }`,
    );
    expect(fits.body.errors).toBeUndefined();
    const over = await harness!.gateway.query(
      `{ ${fields.join(' ')} c: cities(names: ["Cairo", "Dubai"]) { __typename } d: weather(cities: ["Seoul", "Tokyo"]) { __typename } e: cities(names: ["Lagos"]) { __typename } }`,
    );
    expect(over.body.errors).toHaveLength(1);
    expect(over.body.errors![0]).toMatchObject({ path: ['e'], extensions: { code: 'BAD_USER_INPUT', maxCitiesPerRequest: 8 } });
    const tooMany = await harness!.gateway.query('{ cities(names: ["Paris", "Rome", "Lima"]) { __typename } }');
    expect(tooMany.body.errors![0]).toMatchObject({ path: ['cities'], extensions: { code: 'BAD_USER_INPUT', maxCities: 2 } });
  });
});
