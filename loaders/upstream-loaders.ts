import DataLoader from 'dataloader';
import type { Sources } from '../sources/index.js';
import type { Caller } from '../sources/kit/caller.js';
import type { Cached } from '../sources/kit/freshness.js';

/**
 * Per request, one loader per upstream look-up, keyed as its cache is: places by normalised
 * name (so that "Paris", " paris " and "PARIS" anywhere in one request, aliases included,
 * are one look-up), weather and air quality by coordinates key, countries by alpha-2 code
 * (answered from the countries dataset held in memory).
 * Each resolves to the value with its freshness, or rejects with the UpstreamError that
 * stopped it; everything is asked for on behalf of the request's `caller`.
 */
export function createUpstreamLoaders(sources: Sources | undefined, caller: Caller) {
  const loader = <V>(pick: (sources: Sources) => { get(key: string, caller: Caller): Promise<Cached<V>> }) =>
    new DataLoader<string, Cached<V>>(
      async ([key]) => {
        if (!sources) throw new Error('upstream loaders need the sources: pass `sources` to createLoaders');
        return [await pick(sources).get(key!, caller)];
      },
      // Only to share one look-up per key within the request. Batching is the process-wide
      // batcher's, across requests; a batch here would hold each key until its slowest batch-mate answered.
      { batch: false },
    );
  return {
    placeByName: loader((all) => all.places),
    weatherAt: loader((all) => all.weather),
    airQualityAt: loader((all) => all.airQuality),
    countryByCode: loader((all) => all.countries),
  };
}

/** One request's (or one job's) upstream loaders. */
export type UpstreamLoaders = ReturnType<typeof createUpstreamLoaders>;
