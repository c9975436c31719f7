import DataLoader from 'dataloader';
import type { Sources } from '../sources/index.js';
import type { Caller } from '../sources/kit/caller.js';
import type { Cached } from '../sources/kit/freshness.js';
import type { KeyedCache } from '../sources/kit/keyed-cache.js';

/**
 * Per request, one loader per upstream look-up, keyed as its cache is: places by normalised
 * name (so that "Paris", " paris " and "PARIS" anywhere in one request, aliases included,
 * are one look-up), weather and air quality by coordinates key, countries by alpha-2 code.
 * Each resolves to the value with its freshness, or rejects with the UpstreamError that
 * stopped it; everything is asked for on behalf of the request's `caller`.
 */
export function createUpstreamLoaders(sources: Sources | undefined, caller: Caller) {
  const loader = <V>(pick: (sources: Sources) => KeyedCache<V>) =>
    new DataLoader<string, Cached<V>>(async (keys) => {
      if (!sources) throw new Error('upstream loaders need the sources: pass `sources` to createLoaders');
      const cache = pick(sources);
      return Promise.all(keys.map((key) => cache.get(key, caller).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
    });
  return {
    placeByName: loader((all) => all.places),
    weatherAt: loader((all) => all.weather),
    airQualityAt: loader((all) => all.airQuality),
    countryByCode: loader((all) => all.countries),
  };
}
