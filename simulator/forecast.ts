import { findCityNear } from './cities.js';
import { countOne } from './calls.js';
import { CURRENT_UNITS, forecastEntry, locationsAnswer, openMeteoError, parseCoordinates } from './responses.js';
import type { Upstream } from './upstream.js';

/** Open-Meteo's forecast, `GET /v1/forecast?latitude=…&longitude=…&current=…`, for any coordinates. */
export const forecastUpstream: Upstream = {
  path: '/v1/forecast',
  errorBody: openMeteoError,
  handle(url, { calls, weather }) {
    calls.forecast += 1;
    const parsed = parseCoordinates(url);
    if (typeof parsed === 'string') return { status: 400, body: openMeteoError(400, parsed) };
    calls.forecastBatchSizes.push(parsed.length);
    const cities = parsed.map(([latitude, longitude]) => findCityNear(latitude, longitude));
    parsed.forEach(([latitude, longitude], index) => {
      countOne(calls.forecastByCity, cities[index]?.name ?? `${latitude},${longitude}`);
    });
    const fields = (url.searchParams.get('current') ?? '').split(',').filter((field) => field in CURRENT_UNITS);
    const entries = parsed.map(([latitude, longitude], index) => {
      const city = cities[index];
      return forecastEntry(latitude, longitude, fields, parsed.length > 1 ? index : undefined, city && weather.get(city.name));
    });
    return locationsAnswer('forecast', cities, entries, { temperature_2m: 'warm', weather_code: '3' });
  },
};
