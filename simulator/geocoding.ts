import { findCityByName, simNameKey, syntheticCity } from './cities.js';
import { countOne } from './calls.js';
import { geocodingEntry, openMeteoError } from './responses.js';
import type { Upstream } from './upstream.js';

/** Open-Meteo's geocoding search, `GET /v1/search?name=…`, for the simulator's table of cities. */
export const geocodingUpstream: Upstream = {
  path: '/v1/search',
  errorBody: openMeteoError,
  handle(url, { calls, syntheticNames }) {
    const name = url.searchParams.get('name');
    calls.geocoding += 1;
    if (name !== null) countOne(calls.geocodingByName, name);
    if (!name) return { status: 400, body: openMeteoError(400, "Parameter 'name' is required") };
    const city = findCityByName(name) ?? (syntheticNames ? syntheticCity(name) : undefined);
    const generation = { generationtime_ms: 0.4 };
    return {
      facts: { endpoint: 'geocoding', cities: [simNameKey(name), ...(city ? [simNameKey(city.name)] : [])] },
      status: 200,
      // No `results` key at all is how Open-Meteo says "nothing found".
      body: city ? { results: [geocodingEntry(city)], ...generation } : generation,
      // One result at most, so the whole body is the city's entry.
      corrupt: () =>
        city ? { results: [{ ...geocodingEntry(city), name: 42, latitude: String(city.latitude) }], ...generation } : { results: 'none', ...generation },
    };
  },
};
