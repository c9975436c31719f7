import { type Cached, freshUntil } from './freshness.js';

/**
 * Keys kept fresh on request (see KeyedCache.keepFresh): each is loaded again shortly before
 * it expires (in the last `share` of its TTL, and at most KEEP_FRESH_LEAD_MS before), whoever
 * reads it.
 */
export interface KeepFresh {
  share: number;
  /** Asked before each refresh, as RefreshAhead's: false skips it (the quota is short, or another instance holds the key's lock). */
  mayRefresh?: (key: string, aheadMs: number) => Promise<boolean>;
}

/** The last part of a kept key's TTL in which it is refreshed, unless KeepFresh says otherwise. */
export const KEEP_FRESH_SHARE = 0.2;

/**
 * At most this long before it expires is a kept key refreshed, whatever its TTL: at the TTLs
 * of production (minutes) one refresh per TTL, near enough, and time enough for the call.
 */
export const KEEP_FRESH_LEAD_MS = 1_000;

/** How soon a kept key is looked at again after a refresh it could not start or that failed, and the shortest cycle: bounds, in ms. */
export const KEPT_RETRY_MS = { min: 250, max: 30_000 } as const;

/** A value as a keyed cache holds it. */
export interface KeptEntry<V> {
  value: V;
  fetchedAt: number;
  ttlMs: number;
}

/** What the kept keys need of their cache. */
export interface KeptKeysCache<V> {
  /** The entry held here, without counting as a use. */
  peek(key: string): KeptEntry<V> | undefined;
  /** A newer entry another instance wrote to the shared tier, taken here instead of loading (none without a tier). */
  newerElsewhere(key: string, known: KeptEntry<V> | undefined): Promise<KeptEntry<V> | undefined>;
  /** The load of the key under way, if any (a caller's, a refresh-ahead). */
  inFlight(key: string): Promise<unknown> | undefined;
  /** Loads the key in the background; rejects when the load failed. */
  refresh(key: string): Promise<unknown>;
}

/** A key kept fresh: who hears of its values, and when it is looked at next. */
interface Kept<V> {
  listeners: Set<(value: Cached<V>) => void>;
  timer: NodeJS.Timeout | undefined;
}

/** The kept keys of one keyed cache: each with a timer of its own, looked at when its refresh is due. */
export function createKeptKeys<V>(cache: KeptKeysCache<V>, options: KeepFresh | undefined, now: () => number) {
  const kept = new Map<string, Kept<V>>();
  const share = options?.share ?? KEEP_FRESH_SHARE;

  const schedule = (key: string, delayMs: number) => {
    const holding = kept.get(key);
    if (!holding) return;
    clearTimeout(holding.timer);
    holding.timer = setTimeout(() => void tick(key), Math.max(0, delayMs));
    holding.timer.unref();
  };
  const retryDelay = (entry: KeptEntry<V> | undefined) => Math.min(KEPT_RETRY_MS.max, Math.max(KEPT_RETRY_MS.min, ((entry?.ttlMs ?? 0) * share) / 4));

  const tick = async (key: string) => {
    if (!kept.has(key)) return;
    const flight = cache.inFlight(key);
    if (flight) {
      // A load is under way already: its value counts.
      await flight.catch(() => {});
      return schedule(key, 0);
    }
    // Another instance may have refreshed it: its value is taken, and no call is made.
    const entry = (await cache.newerElsewhere(key, cache.peek(key))) ?? cache.peek(key);
    if (!kept.has(key)) return;
    const leadMs = entry ? Math.min(entry.ttlMs * share, KEEP_FRESH_LEAD_MS) : 0;
    // Never sooner than KEPT_RETRY_MS.min after the last load: a TTL of 0 must not become a busy loop.
    const dueIn = entry ? Math.max(freshUntil(entry) - leadMs, entry.fetchedAt + KEPT_RETRY_MS.min) - now() : 0;
    if (dueIn > 0) return schedule(key, dueIn);
    const ask = options?.mayRefresh;
    // Asked to hold the key for the last part of its TTL: no other instance refreshes the same value.
    const holdMs = Math.max((entry?.ttlMs ?? 0) * share, KEPT_RETRY_MS.min);
    if (ask && !(await ask(key, holdMs).catch(() => false))) return schedule(key, retryDelay(entry));
    if (!kept.has(key) || cache.inFlight(key)) return schedule(key, 0);
    const refreshed = await cache.refresh(key).then(
      () => true,
      () => false,
    );
    schedule(key, refreshed ? 0 : retryDelay(entry));
  };

  return {
    /** See KeyedCache.keepFresh. */
    hold(key: string, onValue: (value: Cached<V>) => void): () => void {
      let holding = kept.get(key);
      if (!holding) {
        holding = { listeners: new Set(), timer: undefined };
        kept.set(key, holding);
        schedule(key, 0);
      }
      // A function of its own per holder: the same listener held twice is released twice.
      const listener = (value: Cached<V>) => onValue(value);
      holding.listeners.add(listener);
      return () => {
        const current = kept.get(key);
        if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
        clearTimeout(current.timer);
        kept.delete(key);
      };
    },
    /** Tells the holders of `key` of a value this instance just loaded. */
    loaded(key: string, entry: KeptEntry<V>): void {
      const holding = kept.get(key);
      if (!holding) return;
      const cached: Cached<V> = { value: entry.value, freshness: { state: 'LIVE', fetchedAt: entry.fetchedAt, ttlMs: entry.ttlMs, ageMs: 0 } };
      for (const listener of holding.listeners) listener(cached);
    },
    /** A purge dropped these keys (every key when absent): those held are loaded again at once, so that their holders hear a value no longer purged. */
    renew(keys?: readonly string[]): void {
      for (const key of keys ?? [...kept.keys()]) schedule(key, 0);
    },
    get size() {
      return kept.size;
    },
    clear(): void {
      for (const holding of kept.values()) clearTimeout(holding.timer);
      kept.clear();
    },
  };
}
