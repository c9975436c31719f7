import { type SimCity, simNameKey, simWeatherAt } from './cities.js';
import type { Endpoint } from './faults.js';
import type { Answer } from './upstream.js';
import type { WeatherOverride } from './weather-overrides.js';

// Open-Meteo's documented response bodies, built for the simulator.

/** The `current` variables the simulator answers, with their units. */
export const CURRENT_UNITS: Record<string, string> = {
  time: 'iso8601',
  interval: 'seconds',
  temperature_2m: '°C',
  relative_humidity_2m: '%',
  apparent_temperature: '°C',
  weather_code: 'wmo code',
  wind_speed_10m: 'km/h',
};

/** One geocoding result as Open-Meteo documents it. */
export function geocodingEntry(city: SimCity) {
  return {
    id: city.id,
    name: city.name,
    latitude: city.latitude,
    longitude: city.longitude,
    feature_code: 'PPLC',
    country_code: city.countryCode,
    timezone: city.timezone,
    country: city.country,
  };
}

/** One location of a forecast answer; `locationId` only when the call asked for several. */
export function forecastEntry(latitude: number, longitude: number, fields: string[], locationId: number | undefined, override?: WeatherOverride) {
  const { time = currentSlot(900_000), ...values } = override ?? {};
  const weather = { ...simWeatherAt(latitude, longitude), ...values } as unknown as Record<string, number>;
  const current: Record<string, string | number> = {
    time,
    interval: 900,
  };
  for (const field of fields) if (field in weather) current[field] = weather[field]!;
  return {
    latitude,
    longitude,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 40,
    ...(locationId === undefined ? {} : { location_id: locationId }),
    current_units: Object.fromEntries(['time', 'interval', ...fields].map((field) => [field, CURRENT_UNITS[field]])),
    current,
  };
}

/** Open-Meteo's error body, whatever the status. */
export function openMeteoError(_status: number, reason: string) {
  return { error: true, reason };
}

/** One location answers an object, several an array in request order, as every Open-Meteo API does. */
export function oneOrList<T>(entries: T[]): T | T[] {
  return entries.length === 1 ? entries[0]! : entries;
}

/**
 * The answer of a multi-location call (forecast, air quality): the facts its faults are chosen
 * by, one entry or a list, and for a corrupt-body fault the same with `bad` written over the
 * `current` values of the target city's entry (of every entry when the target names none).
 */
export function locationsAnswer(endpoint: Endpoint, cities: (SimCity | undefined)[], entries: { current?: object }[], bad: Record<string, unknown>): Answer {
  return {
    facts: { endpoint, cities: cities.flatMap((city) => (city ? [simNameKey(city.name)] : [])) },
    status: 200,
    body: oneOrList(entries),
    corrupt: (target) =>
      oneOrList(
        entries.map((entry, index) =>
          target.city === undefined || (cities[index] && simNameKey(cities[index].name) === target.city)
            ? { ...entry, current: { ...entry.current, ...bad } }
            : entry,
        ),
      ),
  };
}

/** The start of the current slot (15 minutes, an hour) in GMT, as the APIs answer when no timezone is asked for. */
export function currentSlot(slotMs: number): string {
  return new Date(Math.floor(Date.now() / slotMs) * slotMs).toISOString().slice(0, 16);
}

/** The latitude/longitude lists of a forecast or air quality call, or Open-Meteo's reason for a 400. */
export function parseCoordinates(url: URL): [number, number][] | string {
  const latitudes = url.searchParams.get('latitude')?.split(',').map(Number);
  const longitudes = url.searchParams.get('longitude')?.split(',').map(Number);
  if (!latitudes || !longitudes) return "Parameter 'latitude' and 'longitude' are required";
  if (latitudes.length !== longitudes.length) return "Parameter 'latitude' and 'longitude' must have the same number of elements";
  for (const latitude of latitudes) if (!(Math.abs(latitude) <= 90)) return `Latitude must be in range of -90 to 90°. Given: ${latitude}.`;
  for (const longitude of longitudes) if (!(Math.abs(longitude) <= 180)) return `Longitude must be in range of -180 to 180°. Given: ${longitude}.`;
  return latitudes.map((latitude, index) => [latitude, longitudes[index]!]);
}
