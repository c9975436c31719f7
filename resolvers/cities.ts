import type { AirQualityNow } from '../sources/open-meteo/air-quality.js';
import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { coordinatesKey } from '../sources/open-meteo/locations.js';
import type { Country } from '../sources/rest-countries/countries.js';
import type { UpstreamScope } from './context.js';
import { placeNames, type WeatherErrorCode } from './places.js';
import { asUpstreamFailure, type FreshnessRecord, toFreshnessRecord, upstreamFailure, type UpstreamFailure } from './upstream-results.js';
import { weatherAt, type WeatherResult } from './weather.js';

/**
 * A name geocoding placed. Its parts are looked up when a query selects them, unless they
 * were gathered already (a report's row keeps them as they were when it was gathered).
 */
export interface CityRecord {
  kind: 'City';
  /** The name exactly as the client asked for it. */
  name: string;
  location: GeoLocation;
  gathered?: GatheredParts;
}

/** The parts of a City gathered ahead of any query (by a report). */
export interface GatheredParts {
  weather?: WeatherResult;
  airQuality?: AirQualityRecord | UpstreamFailure;
  country?: CountryRecord | UpstreamFailure;
}

export interface CityFailure {
  kind: 'CityError';
  name: string;
  code: WeatherErrorCode;
  message: string;
  retryAfterSeconds: number | null;
}

export interface AirQualityRecord extends Omit<AirQualityNow, 'observedAt'> {
  kind: 'AirQuality';
  observedAt: Date;
  freshness: FreshnessRecord;
}

export interface CountryRecord extends Country {
  kind: 'Country';
  freshness: FreshnessRecord;
}

/**
 * Each name placed on the map, one result per name in input order; same limits and name
 * rules as `weather`, whose allowance it shares. The parts of each City are resolved by the
 * functions below, when selected. The list holds one promise per name, released together (see
 * placeNames), so that all the cities' parts of one kind go out in one go.
 */
export function gatherCities(ctx: UpstreamScope, names: readonly string[]): Promise<CityRecord | CityFailure>[] {
  return placeNames(ctx, names).map((placed) =>
    placed.then((item) =>
      item.found
        ? { kind: 'City', name: item.name, location: item.place }
        : { kind: 'CityError', name: item.name, code: item.code, message: item.message, retryAfterSeconds: item.retryAfterSeconds },
    ),
  );
}

export async function cityWeather(ctx: UpstreamScope, city: CityRecord): Promise<WeatherResult> {
  return city.gathered?.weather ?? weatherAt(ctx, city.name, city.location);
}

export async function cityAirQuality(ctx: UpstreamScope, city: CityRecord): Promise<AirQualityRecord | UpstreamFailure> {
  if (city.gathered?.airQuality) return city.gathered.airQuality;
  try {
    const { value, freshness } = await ctx.loaders.airQualityAt.load(coordinatesKey(city.location));
    return { kind: 'AirQuality', ...value, observedAt: new Date(value.observedAt), freshness: toFreshnessRecord(freshness) };
  } catch (error) {
    return asUpstreamFailure('air-quality', error);
  }
}

export async function cityCountry(ctx: UpstreamScope, city: CityRecord): Promise<CountryRecord | UpstreamFailure> {
  if (city.gathered?.country) return city.gathered.country;
  const code = city.location.countryCode;
  if (!code) return upstreamFailure('countries', 'NOT_FOUND', `Geocoding gives no country for ${JSON.stringify(city.name)}`);
  try {
    const { value, freshness } = await ctx.loaders.countryByCode.load(code);
    if (!value) {
      const which = freshness.state === 'BUNDLED' ? 'The bundled country dataset' : 'The countries service';
      return upstreamFailure('countries', 'NOT_FOUND', `${which} knows no country with the code ${code}`);
    }
    return { kind: 'Country', ...value, freshness: toFreshnessRecord(freshness) };
  } catch (error) {
    return asUpstreamFailure('countries', error);
  }
}
