import type { CacheEvent } from './events.js';
import { KEEP_FRESH_SHARE } from './kept-keys.js';
import { createKeyedCache, type KeyedCache, type KeyedCacheOptions, type RefreshAhead, refreshLockKey } from './keyed-cache.js';
import type { Quota } from './quota.js';
import type { SharedTier } from './shared-tier.js';
import type { LookUpTracer } from './trace.js';

/** What every upstream cache of one gateway has in common. */
export interface CacheSettings {
  /** Entries per cache. */
  maxEntries: number;
  /** STALE_WHILE_REVALIDATE_S: how long past its TTL a value is answered at once while it refreshes. */
  staleWhileRevalidateMs: number;
  /** Refresh-ahead of hot keys; null turns it off. Each refresh also asks the quota and, with Redis, the key's lock. */
  refreshAhead: Omit<RefreshAhead, 'mayRefresh'> | null;
  sharedTier?: SharedTier;
  /** With a shared tier: how long one instance holds a key it loads while the others wait for it. */
  sharedLockMs?: number;
  /** Wall clock for the caches; tests pass their own. */
  now?: () => number;
  onEvent?: (cache: string, event: CacheEvent) => void;
  /** Traces the caches' own refreshes (a request's look-ups are traced through its caller). */
  tracer?: LookUpTracer;
}

export const DEFAULT_CACHE_SETTINGS: Omit<CacheSettings, 'staleWhileRevalidateMs'> = {
  maxEntries: 10_000,
  // A key read twice since it was fetched and again in the last fifth of its TTL is hot.
  refreshAhead: { share: 0.2, minReads: 2, maxInFlight: 64 },
};

/**
 * Share of each quota window kept for look-ups that someone waits for: refresh-ahead is a
 * nicety, and stops once less than this is left.
 */
export const REFRESH_QUOTA_RESERVE = 0.2;

export type UpstreamCacheOptions<V> = Pick<KeyedCacheOptions<V>, 'name' | 'what' | 'load' | 'ttlMs' | 'staleIfErrorMs'> & {
  /** The budget the cache's loads spend from. */
  quota?: Quota;
};

/** A keyed cache in front of one upstream, with the gateway's common settings. */
export function upstreamCache<V>(settings: CacheSettings, options: UpstreamCacheOptions<V>): KeyedCache<V> {
  const { quota, ...cache } = options;
  const tier = settings.sharedTier;
  // With Redis, one instance refreshes a key; the others read what it wrote to the shared tier.
  const mayRefresh = async (key: string, aheadMs: number) =>
    (!quota || (await quota.hasHeadroom(REFRESH_QUOTA_RESERVE))) && (!tier || (await tier.lock(refreshLockKey(options.name, key), aheadMs)));
  const refreshAhead: RefreshAhead | undefined = settings.refreshAhead ? { ...settings.refreshAhead, mayRefresh } : undefined;
  return createKeyedCache<V>({
    ...cache,
    maxEntries: settings.maxEntries,
    staleWhileRevalidateMs: settings.staleWhileRevalidateMs,
    ...(refreshAhead && { refreshAhead }),
    // Kept keys (live data's watched places) are refreshed on the same terms, refresh-ahead on or off.
    keepFresh: { share: settings.refreshAhead?.share ?? KEEP_FRESH_SHARE, mayRefresh },
    ...(tier && { sharedTier: tier }),
    ...(settings.sharedLockMs !== undefined && { sharedLockMs: settings.sharedLockMs }),
    ...(settings.now && { now: settings.now }),
    ...(settings.onEvent && { onEvent: (event: CacheEvent) => settings.onEvent!(options.name, event) }),
    ...(settings.tracer && { tracer: settings.tracer }),
  });
}
