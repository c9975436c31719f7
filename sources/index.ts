import type { Redis } from 'ioredis';
import type { KeyedCache, Purgeable } from './kit/keyed-cache.js';
import type { CacheEvent } from './kit/events.js';
import type { CircuitState } from './kit/host-guard.js';
import { createUpstreamHttp, type UpstreamObservers } from './kit/http.js';
import { createMemoryQuotaStore, createQuota, type Quota, type QuotaLimits, type QuotaStore } from './kit/quota.js';
import { createRedisQuotaStore } from './kit/redis-quota-store.js';
import { createRedisTier } from './kit/shared-tier.js';
import { type CacheSettings, DEFAULT_CACHE_SETTINGS } from './kit/upstream-cache.js';
import { upstreamPolicy, type UpstreamPolicyOverrides } from './kit/upstream-policy.js';
import type { AirQualityNow } from './open-meteo/air-quality.js';
import type { CurrentWeather } from './open-meteo/forecast.js';
import type { GeoLocation } from './open-meteo/geocoding.js';
import { createOpenMeteo } from './open-meteo/service.js';
import type { RefreshOutcome } from './rest-countries/dataset-refresh.js';
import { type CountryFacts, createCountries } from './rest-countries/service.js';

export interface SourcesOptions {
  /** Base URLs without a trailing slash. */
  urls: { geocoding: string; forecast: string; airQuality: string; countries: string };
  /** UPSTREAM_TIMEOUT_MS: one attempt's timeout, for every source. */
  timeoutMs: number;
  /** Replaces parts of the production policy (tests pass small backoffs). */
  policy?: UpstreamPolicyOverrides;
  ttl: { weatherMs: number; airQualityMs: number; countryMs: number };
  /** OPEN_METEO_QUOTA and REST_COUNTRIES_QUOTA; null: no budget of the gateway's own. */
  quotas: { openMeteo: QuotaLimits | null; restCountries: QuotaLimits | null };
  /** REST_COUNTRIES_API_KEY; null: country facts come from the bundled dataset alone. */
  restCountriesApiKey: string | null;
  /** With Redis the caches share a tier, and the quotas one count, with every instance on it. */
  redis: Redis | null;
  cache: Pick<CacheSettings, 'staleWhileRevalidateMs'> & Partial<CacheSettings>;
  /** Most keys in one batched call (tests use small ones). */
  batchCap?: { locations?: number };
  observers?: UpstreamObservers & {
    onCacheEvent?: (cache: string, event: CacheEvent) => void;
    /** A quota count could not be kept in Redis; this instance counts alone meanwhile. */
    onQuotaStoreError?: (error: Error) => void;
    /** A refresh of the countries dataset ended, with the error of a failed one. */
    onCountriesRefresh?: (outcome: RefreshOutcome, error: unknown) => void;
  };
  /** Wall clock of the quotas (and of the caches, unless `cache.now` says otherwise). */
  now?: () => number;
}

/** Every upstream look-up the gateway offers, each behind its cache; made once by the gateway. */
export interface Sources {
  places: KeyedCache<GeoLocation | null>;
  weather: KeyedCache<CurrentWeather>;
  airQuality: KeyedCache<AirQualityNow>;
  countries: CountryFacts;
  /** Every upstream cache by its name in the metrics (`geocoding`, `weather`, …): what a purge reaches. */
  caches: Readonly<Record<string, Purgeable>>;
  /** The gateway's budgets, for the quota metric. */
  quotas: Quota[];
  circuits(): Record<string, CircuitState>;
  cacheSizes(): Record<string, number>;
  close(): void;
}

/** The one HTTP client, the quotas, and the services of every upstream API. */
export function createSources(options: SourcesOptions): Sources {
  const { redis, observers = {} } = options;
  const http = createUpstreamHttp(observers);
  const policy = upstreamPolicy(options.timeoutMs, options.policy);
  const now = options.now;
  const store = (): QuotaStore => (redis ? createRedisQuotaStore(redis, observers.onQuotaStoreError) : createMemoryQuotaStore());
  const quota = (name: string, limits: QuotaLimits | null) => (limits ? createQuota({ name, limits, store: store(), ...(now && { now }) }) : undefined);
  const openMeteoQuota = quota('open-meteo', options.quotas.openMeteo);
  const restCountriesQuota = quota('rest-countries', options.quotas.restCountries);
  const cache: CacheSettings = {
    ...DEFAULT_CACHE_SETTINGS,
    // One instance loads a key while the others wait, for as long as one call may take.
    ...(redis && { sharedTier: createRedisTier(redis), sharedLockMs: policy.budgetMs }),
    ...(now && { now }),
    ...(observers.onCacheEvent && { onEvent: observers.onCacheEvent }),
    ...options.cache,
  };

  const openMeteo = createOpenMeteo({
    http,
    urls: options.urls,
    policy,
    quota: openMeteoQuota,
    cache,
    weatherTtlMs: options.ttl.weatherMs,
    airQualityTtlMs: options.ttl.airQualityMs,
    batchCap: options.batchCap?.locations,
  });
  const countries = createCountries({
    http,
    baseUrl: options.urls.countries,
    policy,
    quota: restCountriesQuota,
    apiKey: options.restCountriesApiKey,
    ttlMs: options.ttl.countryMs,
    now: cache.now ?? Date.now,
    ...(cache.sharedTier && { sharedTier: cache.sharedTier }),
    ...(cache.onEvent && { onEvent: cache.onEvent }),
    ...(cache.tracer && { tracer: cache.tracer }),
    ...(observers.onCountriesRefresh && { onRefresh: observers.onCountriesRefresh }),
  });
  const caches = { geocoding: openMeteo.places, weather: openMeteo.weather, 'air-quality': openMeteo.airQuality, countries };

  return {
    ...openMeteo,
    countries,
    caches,
    quotas: [openMeteoQuota, restCountriesQuota].filter((item): item is Quota => item !== undefined),
    circuits: () => http.circuits(),
    cacheSizes: () => Object.fromEntries(Object.entries(caches).map(([name, item]) => [name, item.size])),
    close() {
      http.close();
      for (const item of Object.values(caches)) item.clear();
    },
  };
}
