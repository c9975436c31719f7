import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { UpstreamError, type UpstreamErrorCode } from '../sources/kit/upstream-error.js';
import { normaliseCity } from './city-name.js';
import type { UpstreamScope } from './context.js';

/** Why a name has no weather or cannot be placed; the API contract's WeatherErrorCode. */
export type WeatherErrorCode = 'INVALID_CITY' | 'CITY_NOT_FOUND' | Exclude<UpstreamErrorCode, 'NOT_FOUND'>;

/**
 * Share of the request's deadline that placing its names may take before the names placed by
 * then go on without the others: a geocoding call that hangs must not leave the rest of the
 * request no time for its weather.
 */
export const PLACING_SHARE = 0.5;

/** A name placed on the map, or why it could not be. */
export type Placed =
  | { found: true; name: string; place: GeoLocation }
  | { found: false; name: string; code: WeatherErrorCode; message: string; retryAfterSeconds: number | null };

/** The one mapping from an upstream failure to a WeatherErrorCode: "not found" is the city's. */
export function weatherErrorCode(code: UpstreamErrorCode): WeatherErrorCode {
  return code === 'NOT_FOUND' ? 'CITY_NOT_FOUND' : code;
}

/**
 * Places each name on the map (geocoding, all at once), one result per name in input order.
 * A name that cannot be placed never stops the others. The limits on how many names are the
 * caller's (see claimCities).
 *
 * The results are released together, once every name is placed, so that what comes next
 * (weather, air quality, countries) goes out in the same batches: two round trips for the
 * request whatever its number of names. Names still unplaced after PLACING_SHARE of the
 * request's deadline are not waited for: the others are released then, and each straggler
 * on its own when it is placed.
 */
export function placeNames(ctx: UpstreamScope, names: readonly string[]): Promise<Placed>[] {
  const placed = names.map(async (name): Promise<Placed> => {
    const checked = normaliseCity(name);
    if (!checked.ok) return { found: false, name, code: 'INVALID_CITY', message: checked.reason, retryAfterSeconds: null };
    try {
      const { value: place } = await ctx.loaders.placeByName.load(checked.key);
      if (place) return { found: true, name, place };
      return { found: false, name, code: 'CITY_NOT_FOUND', message: `No place called ${JSON.stringify(name)} is known`, retryAfterSeconds: null };
    } catch (error) {
      // Anything else is a bug, and is masked as one rather than passed off as the upstream's fault.
      if (!(error instanceof UpstreamError)) throw error;
      return { found: false, name, code: weatherErrorCode(error.code), message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    }
  });
  const released = releaseTogether(placed, (ctx.caller.deadline - performance.now()) * PLACING_SHARE);
  return placed.map((item) => Promise.all([item, released]).then(([result]) => result));
}

/** Resolves once every item has settled, or after `waitMs` at most (never, for an infinite wait). */
function releaseTogether(items: readonly Promise<unknown>[], waitMs: number): Promise<void> {
  const all = Promise.allSettled(items).then(() => {});
  if (!Number.isFinite(waitMs)) return all;
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs))));
  return Promise.race([all, cutOff]).finally(() => clearTimeout(timer));
}
