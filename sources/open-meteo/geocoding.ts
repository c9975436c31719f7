import type { CallContext } from '../kit/http.js';
import type { OpenMeteoApiOptions } from './api-options.js';
import { limitedWindow } from './limits.js';
import { badResponse } from './locations.js';
import { firstIssue, geocodingResponse } from './schemas.js';

/** A place as geocoding found it. JSON-serialisable: it is cached, maybe in a shared tier. */
export interface GeoLocation {
  name: string;
  country: string | null;
  /** ISO 3166-1 alpha-2, upper case, e.g. "FR"; null where geocoding gives none. */
  countryCode: string | null;
  latitude: number;
  longitude: number;
  timezone: string | null;
}

export const GEOCODING = 'The geocoding service';

/** Open-Meteo's geocoding API: the best match for a place name, or null when it knows none. */
export function createGeocoding({ http, baseUrl, policy, quota }: OpenMeteoApiOptions) {
  const source = http.source({ name: 'geocoding', what: GEOCODING, baseUrl, policy, quota, limitedWindow });
  return (name: string, context: CallContext): Promise<GeoLocation | null> => {
    const url = new URL(`${baseUrl}/v1/search`);
    url.search = new URLSearchParams({ name, count: '1', language: 'en', format: 'json' }).toString();
    return source.getJson({ url, context, parse: parseGeocoding });
  };
}

function parseGeocoding(body: unknown): GeoLocation | null {
  const parsed = geocodingResponse.safeParse(body);
  if (!parsed.success) throw badResponse(GEOCODING, firstIssue(parsed.error));
  const best = parsed.data.results?.[0];
  if (!best) return null;
  return {
    name: best.name,
    country: best.country ?? null,
    countryCode: best.country_code?.toUpperCase() ?? null,
    latitude: best.latitude,
    longitude: best.longitude,
    timezone: best.timezone ?? null,
  };
}
