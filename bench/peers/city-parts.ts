// The parts of a City (weather, air quality, country) from the fetch calls of fetch-upstreams.ts:
// one call per city and part, or one call per part for many cities (a batch function, for loaders).
// A failed call is the part's error object, never a failed field, as in gatherql.
import type { Upstreams } from './fetch-upstreams.js';
import { airQualityOf, type CityPlace, countryOf, upstreamError, weatherError, weatherOf } from './upstream.js';

/** Each part of one city with a call of its own: what a resolver per field does without a loader. */
export function cityPartsOneByOne(api: Upstreams) {
  return {
    weather: (city: CityPlace) =>
      api.forecasts([city.location]).then(
        ([forecast]) => weatherOf(city.name, city.location, forecast ?? null),
        (error: unknown) => weatherError(city.name, error),
      ),
    airQuality: (city: CityPlace) =>
      api.airQualities([city.location]).then(
        ([entry]) => (entry ? airQualityOf(entry) : upstreamError('air-quality', 'no entry for the location')),
        (error: unknown) => upstreamError('air-quality', error),
      ),
    country: async (city: CityPlace) => {
      const code = city.location.countryCode;
      if (!code) return countryOf(null, undefined);
      return api.countries([code]).then(
        (found) => countryOf(code, found.get(code)),
        (error: unknown) => upstreamError('countries', error),
      );
    },
  };
}

/** Each part of many cities with one call per part: batch functions, answers in the cities' order. */
export function cityPartsBatched(api: Upstreams) {
  return {
    weather: async (cities: readonly CityPlace[]) => {
      try {
        const forecasts = await api.forecasts(cities.map((city) => city.location));
        return cities.map((city, index) => weatherOf(city.name, city.location, forecasts[index] ?? null));
      } catch (error) {
        return cities.map((city) => weatherError(city.name, error));
      }
    },
    airQuality: async (cities: readonly CityPlace[]) => {
      try {
        const found = await api.airQualities(cities.map((city) => city.location));
        return cities.map((_, index) => (found[index] ? airQualityOf(found[index]) : upstreamError('air-quality', 'no entry for the location')));
      } catch (error) {
        return cities.map(() => upstreamError('air-quality', error));
      }
    },
    country: async (cities: readonly CityPlace[]) => {
      const codes = [...new Set(cities.flatMap((city) => city.location.countryCode ?? []))];
      try {
        const found = codes.length > 0 ? await api.countries(codes) : new Map();
        return cities.map((city) => countryOf(city.location.countryCode, found.get(city.location.countryCode ?? '')));
      } catch (error) {
        return cities.map(() => upstreamError('countries', error));
      }
    },
  };
}
