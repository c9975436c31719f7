import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCityByName, SIM_CITIES } from '../simulator/cities.js';
import { hostileString } from './helpers/hostile-strings.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// Property: whatever city names a client sends to `weather`, the answer is one typed result
// per name, in order, with the name echoed byte for byte, or BAD_USER_INPUT for the list as
// a whole; never a 5xx, never a masked error; and a name that is not a plausible place name
// never reaches the upstream. The simulator is the (healthy) upstream.

const MAX = 50; // WEATHER_MAX_CITIES' default
const RUNS = 150;

let harness: WeatherHarness;
beforeAll(async () => {
  harness = await startWeatherHarness();
});
afterAll(() => harness?.close());

const known = SIM_CITIES.map((city) => city.name);
/** Real places, also spelled the way people type them. */
const knownSpelling = fc
  .tuple(fc.constantFrom(...known, 'São Paulo', 'Sa\u0303o Paulo', 'Zurich', 'new   york'), fc.constantFrom('', ' ', '\u00a0', '\u3000'), fc.boolean())
  .map(([name, pad, upper]) => `${pad}${upper ? name.toUpperCase() : name}${pad}`);
const cityName = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: knownSpelling },
  { weight: 1, arbitrary: fc.constantFrom('Atlantis', 'El Dorado', 'Xanadu', 'a'.repeat(100), 'b'.repeat(101)) },
);
const cityList = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(cityName, { maxLength: MAX + 10 }).chain((names) => fc.shuffledSubarray(names).map((again) => [...names, ...again].slice(0, MAX + 10))),
  },
  // Far over the maximum: refused before anything is sent upstream.
  { weight: 1, arbitrary: fc.integer({ min: MAX + 1, max: 5_000 }).map((n) => Array.from({ length: n }, (_, i) => known[i % known.length]!)) },
);

/** Never a place name, whatever the spelling: refused before anything leaves the gateway. */
function plainlyInvalid(name: string): boolean {
  const key = name.normalize('NFKC').trim().replace(/\s+/gu, ' ');
  return /[\p{Cc}\p{Cs}]/u.test(name) || key === '' || [...key].length > 100 || !/\p{L}/u.test(key);
}

describe('weather under hostile city names', () => {
  it('answers one typed result per name, in order and echoed exactly, or BAD_USER_INPUT for too many; never a failure', async () => {
    await fc.assert(
      fc.asyncProperty(cityList, async (cities) => {
        const before = harness.sim.calls();
        const { status, body } = await harness.query(cities);
        expect(status).toBeLessThan(500);
        for (const error of body.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');

        if (cities.length > MAX) {
          // Either the field refuses the list, or the body limit refuses the request first.
          expect(body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
          expect(harness.sim.calls().geocoding).toBe(before.geocoding);
          return;
        }
        if (status === 413) return; // fifty names of 100,000 characters: over the body limit
        expect(body.errors).toBeUndefined();
        const results = body.data!.weather;
        expect(results.map((result) => result.city)).toEqual(cities);
        results.forEach((result, i) => {
          const name = cities[i]!;
          if (plainlyInvalid(name)) expect(result).toMatchObject({ __typename: 'WeatherError', code: 'INVALID_CITY' });
          else if (findCityByName(name)) expect(result).toMatchObject({ __typename: 'CityWeather', stale: false });
          else expect(result).toMatchObject({ __typename: 'WeatherError', code: 'CITY_NOT_FOUND' });
        });
      }),
      { numRuns: RUNS },
    );
    // Whatever was asked, only plausible names went out.
    for (const sent of Object.keys(harness.sim.calls().geocodingByName)) expect(plainlyInvalid(sent)).toBe(false);
  });
});
