import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { UpstreamError, type UpstreamErrorCode } from '../sources/kit/upstream-error.js';
import { normaliseCity } from './city-name.js';
import type { DomainContext } from './context.js';
import { RequestError } from './errors.js';

/** Why a name has no weather or cannot be placed; the API contract's WeatherErrorCode. */
export type WeatherErrorCode = 'INVALID_CITY' | 'CITY_NOT_FOUND' | Exclude<UpstreamErrorCode, 'NOT_FOUND'>;

/** A request may ask for this many times WEATHER_MAX_CITIES names over all its `weather` and `cities` fields. */
export const REQUEST_CITY_FACTOR = 4;

/** A name placed on the map, or why it could not be. */
export type Placed = { found: true; name: string; place: GeoLocation } | { found: false; name: string; code: WeatherErrorCode; message: string };

/** The one mapping from an upstream failure to a WeatherErrorCode: "not found" is the city's. */
export function weatherErrorCode(code: UpstreamErrorCode): WeatherErrorCode {
  return code === 'NOT_FOUND' ? 'CITY_NOT_FOUND' : code;
}

/**
 * Checks the names against the limits, then places each on the map (geocoding, all at
 * once), one result per name in input order. A name that cannot be placed never stops the
 * others; only a list longer than the limits fails, before anything is sent upstream.
 */
export async function placeNames(ctx: DomainContext, names: readonly string[]): Promise<Placed[]> {
  claimNames(ctx, names.length);
  return Promise.all(
    names.map(async (name): Promise<Placed> => {
      const checked = normaliseCity(name);
      if (!checked.ok) return { found: false, name, code: 'INVALID_CITY', message: checked.reason };
      try {
        const { value: place } = await ctx.loaders.placeByName.load(checked.key);
        if (place) return { found: true, name, place };
        return { found: false, name, code: 'CITY_NOT_FOUND', message: `No place called ${JSON.stringify(name)} is known` };
      } catch (error) {
        // Anything else is a bug, and is masked as one rather than passed off as the upstream's fault.
        if (!(error instanceof UpstreamError)) throw error;
        return { found: false, name, code: weatherErrorCode(error.code), message: error.message };
      }
    }),
  );
}

/** Counts `count` names against the field's and the request's limits, or refuses them all. */
function claimNames(ctx: DomainContext, count: number): void {
  const max = ctx.weatherMaxCities;
  if (count > max) {
    throw new RequestError('BAD_USER_INPUT', `Ask for at most ${max} cities at once (got ${count})`, { maxCities: max });
  }
  // Aliases multiply fields: thirty fields of fifty cities each would be 1,500 upstream
  // look-ups from one request. The fields of a request share one allowance.
  const allowance = max * REQUEST_CITY_FACTOR;
  if (ctx.citiesAsked + count > allowance) {
    throw new RequestError('BAD_USER_INPUT', `Ask for at most ${allowance} cities in one request, over all its weather and cities fields`, {
      maxCitiesPerRequest: allowance,
    });
  }
  ctx.citiesAsked += count;
}
