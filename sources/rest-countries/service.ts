import { createBatcher } from '../kit/batcher.js';
import type { KeyedCache } from '../kit/keyed-cache.js';
import { type CacheSettings, upstreamCache } from '../kit/upstream-cache.js';
import { COUNTRIES, type Country, createRestCountries, type RestCountriesOptions } from './countries.js';

/** Most country codes in one call: every country one request may name fits in one call. */
export const COUNTRY_BATCH_CAP = 50;

export const COUNTRY_CACHE = {
  /** A code the service did not know is asked again after this. */
  notFoundTtlMs: 3600_000,
  // Countries change rarely: a week-old answer is better than none while the service is down.
  staleIfErrorMs: 7 * 24 * 3600_000,
};

export interface CountriesOptions extends RestCountriesOptions {
  cache: CacheSettings;
  /** COUNTRY_CACHE_TTL_S. */
  ttlMs: number;
  batchCap?: number;
}

/** REST Countries behind its cache: countries by alpha-2 code, null for a code it does not know. */
export function createCountries(options: CountriesOptions): KeyedCache<Country | null> {
  const { cache, ttlMs, batchCap, ...api } = options;
  const countries = createBatcher({ call: createRestCountries(api), cap: batchCap ?? COUNTRY_BATCH_CAP, name: 'countries' });
  return upstreamCache<Country | null>(cache, {
    name: 'countries',
    what: COUNTRIES,
    load: (code, context) => countries.load(code, context),
    ttlMs: (country) => (country ? ttlMs : COUNTRY_CACHE.notFoundTtlMs),
    staleIfErrorMs: COUNTRY_CACHE.staleIfErrorMs,
    quota: api.quota,
  });
}
