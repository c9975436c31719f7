import type { DomainContext } from './context.js';
import { RequestError } from './errors.js';

/** A request may ask for this many times WEATHER_MAX_CITIES names over all its `weather` and `cities` fields. */
export const REQUEST_CITY_FACTOR = 4;

/**
 * Counts a field's names against the field's and the request's limits, or refuses them all
 * (BAD_USER_INPUT) before anything is sent upstream. Called by the fields that take names;
 * the domain functions they call know nothing of requests, so a background job can use them.
 */
export function claimCities(ctx: Pick<DomainContext, 'weatherMaxCities' | 'citiesAsked'>, names: readonly string[]): readonly string[] {
  const max = ctx.weatherMaxCities;
  if (names.length > max) {
    throw new RequestError('BAD_USER_INPUT', `Ask for at most ${max} cities at once (got ${names.length})`, { maxCities: max });
  }
  // Aliases multiply fields: thirty fields of fifty cities each would be 1,500 upstream
  // look-ups from one request. The fields of a request share one allowance.
  const allowance = max * REQUEST_CITY_FACTOR;
  if (ctx.citiesAsked + names.length > allowance) {
    throw new RequestError('BAD_USER_INPUT', `Ask for at most ${allowance} cities in one request, over all its weather and cities fields`, {
      maxCitiesPerRequest: allowance,
    });
  }
  ctx.citiesAsked += names.length;
  return names;
}
