import type { WeatherLookup } from '../loaders/weather-service.js';
import type { CurrentWeather, GeoLocation } from '../sources/open-meteo.js';
import { UpstreamError, type UpstreamErrorCode } from '../sources/upstream-error.js';
import { normaliseCity } from './city-name.js';
import type { DomainContext } from './context.js';
import { RequestError } from './errors.js';
import { doNotKeep, limitFreshness } from './freshness.js';

/** Why one city has no weather; the API contract's WeatherErrorCode. */
export type WeatherErrorCode =
  | 'INVALID_CITY'
  | 'CITY_NOT_FOUND'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'RATE_LIMITED';

/** What a client sees of a city with weather; the conditions are the source's, the time a Date. */
export interface CityWeather extends Omit<CurrentWeather, 'observedAt'> {
  kind: 'CityWeather';
  /** The city exactly as the client asked for it. */
  city: string;
  location: GeoLocation;
  observedAt: Date;
  stale: boolean;
}

export interface WeatherFailure {
  kind: 'WeatherError';
  city: string;
  code: WeatherErrorCode;
  message: string;
}

export type WeatherResult = CityWeather | WeatherFailure;

/** A request may ask for this many times WEATHER_MAX_CITIES cities over all its `weather` fields. */
export const REQUEST_CITY_FACTOR = 4;

const UPSTREAM_CODES: Record<UpstreamErrorCode, WeatherErrorCode> = {
  TIMEOUT: 'UPSTREAM_TIMEOUT',
  UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  BAD_RESPONSE: 'UPSTREAM_BAD_RESPONSE',
  RATE_LIMITED: 'RATE_LIMITED',
};

/**
 * Current weather for each city, one result per input in input order. A city that cannot
 * be answered is a WeatherFailure and never fails the others; only a list longer than the
 * configured maximum fails the whole field, before anything is sent upstream.
 */
export async function currentWeather(ctx: DomainContext, cities: readonly string[]): Promise<WeatherResult[]> {
  const max = ctx.weatherMaxCities;
  if (cities.length > max) {
    throw new RequestError('BAD_USER_INPUT', `Ask for at most ${max} cities at once (got ${cities.length})`, { maxCities: max });
  }
  // Aliases multiply fields: thirty `weather` fields of fifty cities each would be 1,500
  // upstream look-ups from one request. The fields of a request share one allowance.
  const allowance = max * REQUEST_CITY_FACTOR;
  if (ctx.weatherCitiesAsked + cities.length > allowance) {
    throw new RequestError(
      'BAD_USER_INPUT',
      `Ask for at most ${allowance} cities in one request, over all its weather fields`,
      { maxCitiesPerRequest: allowance },
    );
  }
  ctx.weatherCitiesAsked += cities.length;
  return Promise.all(
    cities.map(async (city): Promise<WeatherResult> => {
      const name = normaliseCity(city);
      // Only the name decides this one: it stays true as long as the code does.
      if (!name.ok) return failure(city, 'INVALID_CITY', name.reason);
      try {
        const found = await ctx.loaders.weatherByCity.load(name.key);
        if (!found) {
          doNotKeep(ctx.freshness);
          return failure(city, 'CITY_NOT_FOUND', `No place called ${JSON.stringify(city)} is known`);
        }
        // A stale stand-in is already past its freshness: such an answer is never kept.
        limitFreshness(ctx.freshness, found.freshUntil);
        return toCityWeather(city, found);
      } catch (error) {
        // Anything else is a bug, and is masked as one rather than passed off as the upstream's fault.
        if (!(error instanceof UpstreamError)) throw error;
        doNotKeep(ctx.freshness);
        return failure(city, UPSTREAM_CODES[error.code], error.message);
      }
    }),
  );
}

function toCityWeather(city: string, { location, weather, stale }: WeatherLookup): CityWeather {
  return { kind: 'CityWeather', city, location, ...weather, observedAt: new Date(weather.observedAt), stale };
}

function failure(city: string, code: WeatherErrorCode, message: string): WeatherFailure {
  return { kind: 'WeatherError', city, code, message };
}
