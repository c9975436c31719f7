import type { CircuitChange, CircuitState } from '../sources/host-guard.js';
import { type AttemptListener, createUpstreamHttp, type UpstreamSource } from '../sources/http.js';
import { createOpenMeteo, type CurrentWeather, type GeoLocation } from '../sources/open-meteo.js';
import { upstreamPolicy, type UpstreamPolicyOverrides } from '../sources/upstream-policy.js';
import { coordinatesKey, createForecastBatcher, FORECAST_BATCH_CAP } from './forecast-batcher.js';
import { type CacheEvent, createKeyedCache, type SharedTier } from './keyed-cache.js';

export type WeatherCacheName = 'geocoding' | 'weather';

/** How long what the upstreams said is kept. Production defaults in DEFAULT_WEATHER_CACHE. */
export interface WeatherCacheSettings {
  /** Entries per cache (geocoding and weather each). */
  maxEntries: number;
  geocodingTtlMs: number;
  /** A name geocoding did not know is asked again after this. */
  notFoundTtlMs: number;
  geocodingStaleMs: number;
  weatherStaleMs: number;
}

export const DEFAULT_WEATHER_CACHE: WeatherCacheSettings = {
  maxEntries: 10_000,
  geocodingTtlMs: 24 * 3600_000,
  notFoundTtlMs: 5 * 60_000,
  // A place does not move: an old location is better than none while geocoding is down.
  geocodingStaleMs: 7 * 24 * 3600_000,
  // Open-Meteo's current conditions change every 15 minutes; half an hour late is still useful.
  weatherStaleMs: 30 * 60_000,
};

export interface WeatherServiceOptions {
  /** Base URLs, e.g. https://geocoding-api.open-meteo.com. */
  geocodingUrl: string;
  forecastUrl: string;
  /** One attempt's timeout (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long weather stays fresh (WEATHER_CACHE_TTL_S). */
  weatherTtlMs: number;
  /** Replaces parts of the upstream policy (tests pass small backoffs). */
  policy?: UpstreamPolicyOverrides;
  cache?: Partial<WeatherCacheSettings>;
  forecastBatchCap?: number;
  sharedTier?: SharedTier;
  /** Wall clock for the caches; tests pass their own. */
  now?: () => number;
  onAttempt?: AttemptListener;
  onHedge?: (source: UpstreamSource) => void;
  onCacheEvent?: (cache: WeatherCacheName, event: CacheEvent) => void;
  onCircuitChange?: (change: CircuitChange) => void;
}

export interface WeatherLookup {
  location: GeoLocation;
  weather: CurrentWeather;
  /** True when the weather is an expired value standing in for a failed upstream call. */
  stale: boolean;
  /**
   * Wall-clock ms (the caches' clock) until which both the place and its weather are fresh
   * in the caches; in the past when stale. Whoever keeps the answer must not keep it longer.
   */
  freshUntil: number;
}

export interface WeatherService {
  /**
   * Weather for normalised city names, one entry per name in order: the lookup, null when
   * geocoding knows no such place, or the error (an UpstreamError) that stopped that name.
   * `onAttempt` hears of every upstream attempt made for these names: those this call
   * started, and a forecast call shared with other callers (each hears of it), but not one
   * another caller started for the same name and this one merely joined.
   */
  lookUp(names: readonly string[], onAttempt?: AttemptListener): Promise<(WeatherLookup | null | Error)[]>;
  cacheSizes(): Record<WeatherCacheName, number>;
  circuits(): Record<string, CircuitState>;
  close(): Promise<void>;
}

/**
 * Everything process-wide behind the `weather` field: the HTTP client, the two caches and
 * the forecast batcher. Built once by the gateway and closed by its close().
 */
export function createWeatherService(options: WeatherServiceOptions): WeatherService {
  const policy = upstreamPolicy(options.timeoutMs, options.policy);
  const settings = { ...DEFAULT_WEATHER_CACHE, ...options.cache };
  const http = createUpstreamHttp({ policy, onAttempt: options.onAttempt, onHedge: options.onHedge, onCircuitChange: options.onCircuitChange });
  const openMeteo = createOpenMeteo({ http, geocodingUrl: options.geocodingUrl, forecastUrl: options.forecastUrl });
  const batcher = createForecastBatcher(openMeteo, { budgetMs: policy.budgetMs, batchCap: options.forecastBatchCap ?? FORECAST_BATCH_CAP });
  const onEvent = (cache: WeatherCacheName) => (event: CacheEvent) => options.onCacheEvent?.(cache, event);

  const geocoding = createKeyedCache<GeoLocation | null>({
    name: 'geocoding',
    maxEntries: settings.maxEntries,
    ttlMs: (location) => (location ? settings.geocodingTtlMs : settings.notFoundTtlMs),
    staleMs: settings.geocodingStaleMs,
    onEvent: onEvent('geocoding'),
    sharedTier: options.sharedTier,
    now: options.now,
  });
  const weather = createKeyedCache<CurrentWeather>({
    name: 'weather',
    maxEntries: settings.maxEntries,
    ttlMs: () => options.weatherTtlMs,
    staleMs: settings.weatherStaleMs,
    onEvent: onEvent('weather'),
    sharedTier: options.sharedTier,
    now: options.now,
  });

  return {
    async lookUp(names, onAttempt) {
      const places = await Promise.all(
        names.map((name) => geocoding.get(name, () => openMeteo.geocode(name, { onAttempt })).catch(asError)),
      );
      // Every found place asks for its weather in this same turn, so that the batcher sends
      // them together: two round trips for the request, whatever its number of cities.
      return Promise.all(
        places.map(async (found): Promise<WeatherLookup | null | Error> => {
          if (found instanceof Error) return found;
          const place = found.value;
          if (place === null) return null;
          try {
            const key = coordinatesKey(place);
            const cached = await weather.get(key, () => batcher.load(key, onAttempt));
            // Only the weather's age makes a result stale: a place's coordinates do not go out of date.
            return { location: place, weather: cached.value, stale: cached.stale, freshUntil: Math.min(found.freshUntil, cached.freshUntil) };
          } catch (error) {
            return asError(error);
          }
        }),
      );
    },
    cacheSizes: () => ({ geocoding: geocoding.size, weather: weather.size }),
    circuits: () => http.circuits(),
    async close() {
      http.close();
      geocoding.clear();
      weather.clear();
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
