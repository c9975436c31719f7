/**
 * Where an upstream value came from and how old it is: the API contract's `Freshness`.
 * LIVE: fetched for this caller, or by a call in flight that it joined. CACHED: from a cache
 * within its time to live. STALE: from a cache past it (the upstream failed just now, or a
 * refresh is under way). BUNDLED: from a dataset shipped with the gateway, where no live
 * source is configured or none has answered yet; fetchedAt is the dataset's date.
 */
export type FreshnessState = 'LIVE' | 'CACHED' | 'STALE' | 'BUNDLED';

export interface Freshness {
  state: FreshnessState;
  /** Wall-clock ms when the upstream's answer arrived. */
  fetchedAt: number;
  /** How long after fetchedAt the value counts as fresh. */
  ttlMs: number;
  /** How old the value was when it was handed out, on the cache's clock. */
  ageMs: number;
}

/** A value from a keyed cache, with its freshness. */
export interface Cached<V> {
  value: V;
  freshness: Freshness;
}

/** Wall-clock ms after which the value is no longer fresh. */
export function freshUntil(freshness: Pick<Freshness, 'fetchedAt' | 'ttlMs'>): number {
  return freshness.fetchedAt + freshness.ttlMs;
}
