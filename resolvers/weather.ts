import type { Cached } from '../sources/kit/freshness.js';
import type { CurrentWeather } from '../sources/open-meteo/forecast.js';
import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { coordinatesKey } from '../sources/open-meteo/locations.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import type { UpstreamScope } from './context.js';
import { placeNames, type WeatherErrorCode, weatherErrorCode } from './places.js';
import { type FreshnessRecord, toFreshnessRecord } from './upstream-results.js';

/** What a client sees of a city with weather; the conditions are the source's, the time a Date. */
export interface CityWeather extends Omit<CurrentWeather, 'observedAt'> {
  kind: 'CityWeather';
  /** The city exactly as the client asked for it. */
  city: string;
  location: GeoLocation;
  observedAt: Date;
  stale: boolean;
  freshness: FreshnessRecord;
}

export interface WeatherFailure {
  kind: 'WeatherError';
  city: string;
  code: WeatherErrorCode;
  message: string;
  /** Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit). */
  retryAfterSeconds: number | null;
}

export type WeatherResult = CityWeather | WeatherFailure;

/**
 * Current weather for each city, one result per input in input order. A city that cannot be
 * answered is a WeatherFailure and never fails the others. The cities are placed first, and
 * released together (see placeNames), so that their weather goes out in the same batches.
 */
export function currentWeather(ctx: UpstreamScope, cities: readonly string[]): Promise<WeatherResult[]> {
  return Promise.all(
    placeNames(ctx, cities).map((placed) =>
      placed.then((item) => (item.found ? weatherAt(ctx, item.name, item.place) : weatherFailure(item.name, item.code, item.message, item.retryAfterSeconds))),
    ),
  );
}

/** The weather at a place, for the city named `city`. */
export async function weatherAt(ctx: UpstreamScope, city: string, place: GeoLocation): Promise<WeatherResult> {
  try {
    return cityWeather(city, place, await ctx.loaders.weatherAt.load(coordinatesKey(place)));
  } catch (error) {
    return upstreamWeatherFailure(city, error);
  }
}

/** A place's weather as a client sees it, for the city named `city`. */
export function cityWeather(city: string, place: GeoLocation, { value, freshness }: Cached<CurrentWeather>): CityWeather {
  return {
    kind: 'CityWeather',
    city,
    location: place,
    ...value,
    observedAt: new Date(value.observedAt),
    stale: freshness.state === 'STALE',
    freshness: toFreshnessRecord(freshness),
  };
}

/** The failure of a weather look-up as data; anything but an UpstreamError is a bug, and is rethrown. */
export function upstreamWeatherFailure(city: string, error: unknown): WeatherFailure {
  if (!(error instanceof UpstreamError)) throw error;
  return weatherFailure(city, weatherErrorCode(error.code), error.message, error.retryAfterSeconds);
}

export function weatherFailure(city: string, code: WeatherErrorCode, message: string, retryAfterSeconds: number | null): WeatherFailure {
  return { kind: 'WeatherError', city, code, message, retryAfterSeconds };
}
