import { LRUCache } from 'lru-cache';

/**
 * What a look-up did: `hit` answered from cache (local or shared tier), `miss` started a load,
 * `joined` waited on an identical load in flight, `stale` got an expired value because the
 * load failed.
 */
export type CacheEvent = 'hit' | 'miss' | 'joined' | 'stale';

/**
 * An optional second tier shared by several gateway instances (e.g. Redis). Values are JSON
 * strings; the tier expires them after `ttlMs`. A failing tier is treated as empty.
 */
export interface SharedTier {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface KeyedCacheOptions<V> {
  /** Names the cache in shared-tier keys, e.g. "geocoding". */
  name: string;
  /** Entries kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a value stays fresh; per value, so that "not found" can live shorter. */
  ttlMs: (value: V) => number;
  /** How long after it expires a value may still stand in for a failed load. */
  staleMs: number;
  onEvent?: (event: CacheEvent) => void;
  sharedTier?: SharedTier;
  /** Wall clock in ms; a test may pass its own. Shared-tier entries carry it, so it is not monotonic time. */
  now?: () => number;
}

export interface Cached<V> {
  value: V;
  /** True when the load failed and an expired value stood in. */
  stale: boolean;
  /**
   * Time on the cache's clock after which the value is no longer fresh; already past for a
   * stale value. For callers that keep what they answer (a response cache).
   */
  freshUntil: number;
}

export interface KeyedCache<V> {
  /**
   * The value for `key`: fresh from cache, or from `load`, which runs once however many
   * callers ask at the same time. A failed load is not cached; its callers get the error,
   * or the expired value with `stale: true` while that is recent enough.
   */
  get(key: string, load: () => Promise<V>): Promise<Cached<V>>;
  readonly size: number;
  clear(): void;
}

/** JSON-serialisable, because it may live in the shared tier. */
interface Entry<V> {
  value: V;
  freshUntil: number;
  staleUntil: number;
}

/** A process-wide cache in front of one upstream: singleflight, TTL, stale window, LRU bound. */
export function createKeyedCache<V>(options: KeyedCacheOptions<V>): KeyedCache<V> {
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const entries = new LRUCache<string, Entry<V>>({ max: options.maxEntries });
  const inflight = new Map<string, Promise<Cached<V>>>();
  const sharedKey = (key: string) => `gatherql:${options.name}:${key}`;

  const store = (key: string, value: V): Entry<V> => {
    const at = now();
    const ttl = Math.max(0, options.ttlMs(value));
    const entry = { value, freshUntil: at + ttl, staleUntil: at + ttl + options.staleMs };
    entries.set(key, entry);
    options.sharedTier?.set(sharedKey(key), JSON.stringify(entry), ttl + options.staleMs).catch(() => {});
    return entry;
  };

  const readShared = async (key: string): Promise<Entry<V> | null> => {
    try {
      const text = await options.sharedTier!.get(sharedKey(key));
      return text === null ? null : (JSON.parse(text) as Entry<V>);
    } catch {
      return null;
    }
  };

  const refresh = async (key: string, load: () => Promise<V>, previous: Entry<V> | undefined): Promise<Cached<V>> => {
    // Without a shared tier nothing is awaited before load() runs, so loads asked for in one
    // tick still reach the upstream batcher in that tick.
    if (options.sharedTier) {
      const shared = await readShared(key);
      if (shared && now() < shared.freshUntil) {
        entries.set(key, shared);
        emit('hit');
        return { value: shared.value, stale: false, freshUntil: shared.freshUntil };
      }
      if (shared && (!previous || shared.staleUntil > previous.staleUntil)) previous = shared;
    }
    emit('miss');
    try {
      const entry = store(key, await load());
      return { value: entry.value, stale: false, freshUntil: entry.freshUntil };
    } catch (error) {
      if (previous && now() < previous.staleUntil) return { value: previous.value, stale: true, freshUntil: previous.freshUntil };
      throw error;
    }
  };

  const countStale = (result: Cached<V>) => {
    if (result.stale) emit('stale');
    return result;
  };

  const get = (key: string, load: () => Promise<V>): Promise<Cached<V>> => {
    const entry = entries.get(key);
    if (entry && now() < entry.freshUntil) {
      emit('hit');
      return Promise.resolve({ value: entry.value, stale: false, freshUntil: entry.freshUntil });
    }
    const pending = inflight.get(key);
    if (pending) {
      emit('joined');
      return pending.then(countStale);
    }
    const usable = entry && now() < entry.staleUntil ? entry : undefined;
    if (entry && !usable) entries.delete(key);
    const loading = refresh(key, load, usable).finally(() => inflight.delete(key));
    inflight.set(key, loading);
    return loading.then(countStale);
  };

  return {
    get,
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
