import { createBatcher } from '../kit/batcher.js';
import type { UpstreamHttp } from '../kit/http.js';
import type { KeyedCache } from '../kit/keyed-cache.js';
import type { Quota } from '../kit/quota.js';
import { type CacheSettings, upstreamCache } from '../kit/upstream-cache.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';
import { AIR_QUALITY, type AirQualityNow, createAirQuality } from './air-quality.js';
import { createForecast, type CurrentWeather, FORECAST } from './forecast.js';
import { createGeocoding, GEOCODING, type GeoLocation } from './geocoding.js';

/**
 * Most locations in one forecast or air-quality call. Small enough that a bad location costs
 * few calls to isolate and the URL stays short; large enough that WEATHER_MAX_CITIES' default
 * (50) needs three calls.
 */
export const LOCATION_BATCH_CAP = 20;

/** How long what Open-Meteo said is kept, besides the TTLs that are settings. */
export const OPEN_METEO_CACHE = {
  geocodingTtlMs: 24 * 3600_000,
  /** A name geocoding did not know is asked again after this. */
  notFoundTtlMs: 5 * 60_000,
  // A place does not move: an old location is better than none while geocoding is down.
  geocodingStaleIfErrorMs: 7 * 24 * 3600_000,
  // Current conditions change every 15 minutes: half an hour late is still useful.
  weatherStaleIfErrorMs: 30 * 60_000,
  // Air quality is modelled hourly.
  airQualityStaleIfErrorMs: 2 * 3600_000,
};

export interface OpenMeteoOptions {
  http: UpstreamHttp;
  /** Base URLs without a trailing slash. */
  urls: { geocoding: string; forecast: string; airQuality: string };
  policy: UpstreamPolicy;
  /** OPEN_METEO_QUOTA: one budget for all three hosts, as Open-Meteo counts them together. */
  quota?: Quota;
  cache: CacheSettings;
  weatherTtlMs: number;
  airQualityTtlMs: number;
  batchCap?: number;
}

/** What the gateway keeps of Open-Meteo: places by normalised name, weather and air quality by coordinates key. */
export interface OpenMeteo {
  places: KeyedCache<GeoLocation | null>;
  weather: KeyedCache<CurrentWeather>;
  airQuality: KeyedCache<AirQualityNow>;
}

/** Open-Meteo's three APIs behind their caches; made once by the gateway. */
export function createOpenMeteo(options: OpenMeteoOptions): OpenMeteo {
  const { http, urls, policy, quota, cache } = options;
  const cap = options.batchCap ?? LOCATION_BATCH_CAP;
  const geocode = createGeocoding({ http, baseUrl: urls.geocoding, policy, quota });
  const forecast = createBatcher({ call: createForecast({ http, baseUrl: urls.forecast, policy, quota }), cap, name: 'forecast' });
  const airQuality = createBatcher({ call: createAirQuality({ http, baseUrl: urls.airQuality, policy, quota }), cap, name: 'air-quality' });
  return {
    places: upstreamCache<GeoLocation | null>(cache, {
      name: 'geocoding',
      what: GEOCODING,
      load: geocode,
      ttlMs: (place) => (place ? OPEN_METEO_CACHE.geocodingTtlMs : OPEN_METEO_CACHE.notFoundTtlMs),
      staleIfErrorMs: OPEN_METEO_CACHE.geocodingStaleIfErrorMs,
      quota,
    }),
    weather: upstreamCache<CurrentWeather>(cache, {
      name: 'weather',
      what: FORECAST,
      load: (key, context) => forecast.load(key, context),
      ttlMs: () => options.weatherTtlMs,
      staleIfErrorMs: OPEN_METEO_CACHE.weatherStaleIfErrorMs,
      quota,
    }),
    airQuality: upstreamCache<AirQualityNow>(cache, {
      name: 'air-quality',
      what: AIR_QUALITY,
      load: (key, context) => airQuality.load(key, context),
      ttlMs: () => options.airQualityTtlMs,
      staleIfErrorMs: OPEN_METEO_CACHE.airQualityStaleIfErrorMs,
      quota,
    }),
  };
}
