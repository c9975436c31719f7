import { type CityFailure, type CityRecord, cityAirQuality, cityCountry, cityWeather, type GatheredParts, gatherCities } from './cities.js';
import type { UpstreamScope } from './context.js';

/** The parts a report may gather for each place: the contract's CityPart. */
export type CityPart = 'WEATHER' | 'AIR_QUALITY' | 'COUNTRY';
export const CITY_PARTS: readonly CityPart[] = ['WEATHER', 'AIR_QUALITY', 'COUNTRY'];

/** What a report keeps for one name: what `cities` answered for it, parts included. */
export type GatheredPlace = CityRecord | CityFailure;

/**
 * Gathers each name as `cities` would answer it (same caches, batcher, breaker and quota),
 * with the selected parts looked up at once, one result per name in input order. A part not
 * selected is not asked for.
 */
export function gatherPlaces(scope: UpstreamScope, names: readonly string[], parts: readonly CityPart[]): Promise<GatheredPlace[]> {
  return Promise.all(
    gatherCities(scope, names).map(async (pending) => {
      const place = await pending;
      if (place.kind !== 'City') return place;
      const [weather, airQuality, country] = await Promise.all([
        parts.includes('WEATHER') ? cityWeather(scope, place) : undefined,
        parts.includes('AIR_QUALITY') ? cityAirQuality(scope, place) : undefined,
        parts.includes('COUNTRY') ? cityCountry(scope, place) : undefined,
      ]);
      const gathered: GatheredParts = { ...(weather && { weather }), ...(airQuality && { airQuality }), ...(country && { country }) };
      return { ...place, gathered };
    }),
  );
}

/**
 * How long a place must wait before it can be gathered: the seconds (null when unknown) when
 * it or one of its parts was refused for quota (the gateway's, or the upstream's 429), which
 * a report waits out instead of keeping as its row; undefined when the result is final.
 */
export function quotaWait(place: GatheredPlace): number | null | undefined {
  const results: object[] = place.kind === 'City' ? Object.values(place.gathered ?? {}) : [place];
  const refused = results.filter(
    (result): result is { code: string; retryAfterSeconds: number | null } =>
      'code' in result && (result.code === 'QUOTA_EXHAUSTED' || result.code === 'RATE_LIMITED'),
  );
  if (refused.length === 0) return undefined;
  const seconds = refused.flatMap((result) => (result.retryAfterSeconds === null ? [] : [result.retryAfterSeconds]));
  return seconds.length === 0 ? null : Math.max(...seconds);
}

/** Dates in a stored row, by field name: JSON keeps them as text. */
const DATE_FIELDS = new Set(['observedAt', 'fetchedAt']);

export function encodeGatheredPlace(place: GatheredPlace): string {
  return JSON.stringify(place);
}

export function decodeGatheredPlace(text: string): GatheredPlace {
  return JSON.parse(text, (key, value) => (DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value)) as GatheredPlace;
}
