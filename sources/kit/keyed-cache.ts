import { LRUCache } from 'lru-cache';
import { BACKGROUND, type Caller } from './caller.js';
import { type Cached, type FreshnessState, freshUntil } from './freshness.js';
import type { CacheEvent } from './events.js';
import { createKeptKeys, type KeepFresh } from './kept-keys.js';
import type { CallContext } from './http.js';
import { waitForOtherInstance } from './shared-load.js';
import type { SharedTier } from './shared-tier.js';
import { inLookUpSpan, type LookUpSpan, type LookUpTracer } from './trace.js';
import { deadlinePassed, UpstreamError } from './upstream-error.js';

/** How long one instance holds a key it loads, unless the cache is told otherwise. */
const DEFAULT_SHARED_LOCK_MS = 5_000;

/**
 * Refresh-ahead: a key read at least `minReads` times since it was fetched, and read again in
 * the last `share` of its TTL, is loaded again in the background before it expires, so that a
 * hot key never goes stale and its readers never wait. A key nobody reads is not refreshed.
 */
export interface RefreshAhead {
  /** The last part of the TTL (0-1) in which a read starts the refresh. */
  share: number;
  minReads: number;
  /** Background refreshes in flight at most; more are skipped. */
  maxInFlight: number;
  /** Asked before each refresh: false skips it (the quota is short, or another instance holds the key's lock). */
  mayRefresh?: (key: string, aheadMs: number) => Promise<boolean>;
}

export interface KeyedCacheOptions<V> {
  /** Names the cache in metrics and shared-tier keys, e.g. "weather". */
  name: string;
  /** Names the upstream in a deadline's error, e.g. "The forecast service". */
  what: string;
  /** Fetches one key's value from the upstream (maybe batched with others: see Batcher). */
  load: (key: string, context: CallContext) => Promise<V>;
  /** Entries kept; the least recently used goes first. */
  maxEntries: number;
  /** How long a value stays fresh; per value, so that "not found" can live shorter. */
  ttlMs: (value: V) => number;
  /** How long past its TTL a value is answered at once, as STALE, while one refresh runs (RFC 5861). 0: never. */
  staleWhileRevalidateMs: number;
  /** How long past its TTL a value may stand in, as STALE, for a load that failed (RFC 5861's stale-if-error). */
  staleIfErrorMs: number;
  refreshAhead?: RefreshAhead;
  /** How keys are kept fresh for keepFresh(); absent: refreshed in the last KEEP_FRESH_SHARE of their TTL, unasked. */
  keepFresh?: KeepFresh;
  onEvent?: (event: CacheEvent) => void;
  /** Traces the cache's own loads (refreshes), which no caller's trace holds: each is a trace of its own. */
  tracer?: LookUpTracer;
  sharedTier?: SharedTier;
  /**
   * With a shared tier: how long one instance may hold a key it loads while the others wait
   * for what it writes (see waitForOtherInstance); about the longest a load may take.
   */
  sharedLockMs?: number;
  /** Wall clock in ms; a test may pass its own. Shared-tier entries carry it, so it is not monotonic time. */
  now?: () => number;
}

/**
 * A cache an operator can purge: some keys or all of them, in this instance or in the tier
 * every instance shares. Telling the other instances is the caller's business (see
 * resolvers/cache-purge.ts).
 */
export interface Purgeable {
  /** Drops the entries of `keys` (every entry when absent) in this instance; returns how many there were. */
  drop(keys?: readonly string[]): number;
  /**
   * Removes the entries of `keys` (every entry when absent) from the shared tier; resolves with
   * how many there were, 0 without a tier. Rejects when the tier cannot be reached.
   */
  purgeShared(keys?: readonly string[]): Promise<number>;
}

export interface KeyedCache<V> extends Purgeable {
  /**
   * The value for `key` with its freshness: from cache, or from `load`, which runs once
   * however many callers ask at the same time. A failed load is not cached; its callers get
   * the error, or a recent value past its TTL. A caller whose deadline passes stops waiting
   * (UPSTREAM_TIMEOUT), and a load that no caller waits for any longer is aborted.
   */
  get(key: string, caller: Caller): Promise<Cached<V>>;
  /**
   * The value kept for `key`, fresh or not, in this instance or else in the shared tier;
   * undefined when there is none. Loads nothing: for a purge, to find what else a key leads to.
   */
  peek(key: string): Promise<V | undefined>;
  /**
   * Keeps `key` fresh until the returned function is called: it is loaded again in the last
   * part of its TTL (KeepFresh.share; asking mayRefresh first: within the quota, and with a
   * shared tier by one instance, the others taking what it wrote), whether or not anyone reads
   * it. `onValue` hears of every value this instance loads for the key, by a refresh or for a
   * caller, until then. Several holders of one key share its refreshes.
   */
  keepFresh(key: string, onValue: (value: Cached<V>) => void): () => void;
  /** Keys kept fresh now. */
  readonly keptKeys: number;
  readonly size: number;
  clear(): void;
}

/** JSON-serialisable, because it may live in the shared tier. */
interface Entry<V> {
  value: V;
  fetchedAt: number;
  ttlMs: number;
}

interface Flight<V> {
  entry: Promise<Entry<V>>;
  abort: AbortController;
  /** Callers waiting for it; when the last gives up, the load is aborted. */
  waiters: number;
  /** A refresh of the cache's own: runs to its end whoever waits. */
  background: boolean;
  /** The traced look-up that started it, if any: the look-ups that join it are linked to it. */
  span?: LookUpSpan;
  /** The quota share it may spend (see Caller.quotaShare); absent: all of it. */
  quotaShare?: number;
  /** Its key was purged while it loaded: its value goes to those who waited for it, and is kept nowhere. */
  purged?: boolean;
}

/** The load was refused for its quota share, and `caller` may spend more of the quota than it. */
function refusedShare(flight: Flight<unknown>, caller: Caller, error: unknown): boolean {
  return flight.quotaShare !== undefined && (caller.quotaShare ?? 1) > flight.quotaShare && error instanceof UpstreamError && error.code === 'QUOTA_EXHAUSTED';
}

/** The shared tier's lock on a key of cache `name` that the instance refreshing it holds (see upstreamCache's mayRefresh). */
export function refreshLockKey(name: string, key: string): string {
  return `gatherql:${name}:${key}:refresh`;
}

/**
 * A process-wide cache in front of one upstream: singleflight, TTL, stale windows,
 * refresh-ahead, LRU bound.
 *
 * The entries live in lru-cache; its fetch() is not used, although it merges concurrent
 * loads, keeps a TTL per entry and can answer stale when a load fails. What it cannot do is
 * what callers here need: tell each caller how fresh its value is (LIVE, CACHED, STALE, for
 * the answer's `freshness` and the response cache), let each caller wait only until its own
 * deadline and abort the load when the last waiter gives up, refresh a key ahead of its
 * expiry by how often it is read, and load a key once across instances through the shared
 * tier. Those would wrap every fetch() call; owning the flight is shorter and clearer.
 */
export function createKeyedCache<V>(options: KeyedCacheOptions<V>): KeyedCache<V> {
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const tier = options.sharedTier;
  const entries = new LRUCache<string, Entry<V>>({ max: options.maxEntries });
  // Reads since each entry was fetched: what makes a key hot enough to refresh ahead.
  const reads = new WeakMap<Entry<V>, number>();
  const inflight = new Map<string, Flight<V>>();
  let refreshing = 0;
  const sharedKey = (key: string) => `gatherql:${options.name}:${key}`;
  /** The lock one instance holds on a key while it loads it (see loadOnce). */
  const loadLockKey = (key: string) => `${sharedKey(key)}:load`;
  const keepMs = Math.max(options.staleWhileRevalidateMs, options.staleIfErrorMs);

  const answer = (entry: Entry<V>, state: FreshnessState, caller: Caller): Cached<V> => {
    const freshness = { state, fetchedAt: entry.fetchedAt, ttlMs: entry.ttlMs, ageMs: Math.max(0, now() - entry.fetchedAt) };
    caller.onDelivery?.(freshness);
    return { value: entry.value, freshness };
  };

  /** A value just loaded, as an entry: what store() keeps, and what the callers of a purged key's load get (kept nowhere). */
  const entryOf = (value: V): Entry<V> => ({ value, fetchedAt: now(), ttlMs: Math.max(0, options.ttlMs(value)) });

  const store = (key: string, value: V): Entry<V> => {
    const entry = entryOf(value);
    entries.set(key, entry);
    tier?.set(sharedKey(key), JSON.stringify(entry), entry.ttlMs + keepMs).catch(() => {});
    kept.loaded(key, entry);
    return entry;
  };

  /** What a look-up did, for the metrics and for its span. */
  const note = (span: LookUpSpan | undefined, event: CacheEvent) => {
    emit(event);
    span?.event(event);
  };

  /** A look-up waits for a load that another one started. */
  const join = (key: string, flight: Flight<V>, caller: Caller, standIn: Entry<V> | undefined, span: LookUpSpan | undefined) => {
    note(span, 'joined');
    if (span && flight.span) span.follows(flight.span);
    return wait(key, flight, caller, standIn, span);
  };

  /** A refresh of the cache's own, traced when the cache is; linked to the look-up that found the value stale. */
  const refresh = (key: string, staleLookUp?: LookUpSpan) => {
    const span = options.tracer?.lookUp(options.name, key);
    if (!span) return start(key, true, BACKGROUND);
    span.event('refresh');
    if (staleLookUp) span.follows(staleLookUp);
    const flight = start(key, true, BACKGROUND, span);
    flight.entry.then(
      () => span.end({ state: 'LIVE' }),
      (error: unknown) => span.end({ error }),
    );
    return flight;
  };

  const start = (key: string, background: boolean, caller: Caller, span?: LookUpSpan): Flight<V> => {
    const abort = new AbortController();
    const context: CallContext = {
      signal: abort.signal,
      // A refresh has the source's own budget; a caller's load, what is left of the caller's time.
      ...(background ? {} : { deadline: caller.deadline, onAttempt: caller.onAttempt }),
      ...(caller.quotaShare !== undefined && { quotaShare: caller.quotaShare }),
      ...(caller.lane && { lane: caller.lane }),
      ...(span && { trace: span.calls }),
    };
    // (A value asked for before a purge is not kept after it: see drop.)
    const load = () => options.load(key, context).then((value) => (flight.purged ? entryOf(value) : store(key, value)));
    const flight: Flight<V> = {
      entry: tier && !background ? loadOnce(key, caller, abort.signal, load) : load(),
      abort,
      waiters: 0,
      background,
      ...(span && { span }),
      ...(caller.quotaShare !== undefined && { quotaShare: caller.quotaShare }),
    };
    if (background) refreshing += 1;
    flight.entry
      .finally(() => {
        if (inflight.get(key) === flight) inflight.delete(key);
        if (background) refreshing -= 1;
      })
      .catch(() => {});
    inflight.set(key, flight);
    return flight;
  };

  /** One instance loads, the others take what it wrote to the shared tier (see waitForOtherInstance). */
  const loadOnce = async (key: string, caller: Caller, signal: AbortSignal, load: () => Promise<Entry<V>>): Promise<Entry<V>> => {
    const lockKey = loadLockKey(key);
    const elsewhere = await waitForOtherInstance({
      tier: tier!,
      lockKey,
      lockMs: options.sharedLockMs ?? DEFAULT_SHARED_LOCK_MS,
      deadline: caller.deadline,
      signal,
      read: async () => {
        const shared = await readShared(key);
        return shared && now() < freshUntil(shared) ? shared : undefined;
      },
    });
    if (elsewhere) {
      entries.set(key, elsewhere);
      return elsewhere;
    }
    try {
      return await load();
    } catch (error) {
      // Failed: whoever waits may try now rather than at the lock's end.
      void tier!.unlock(lockKey);
      throw error;
    }
  };

  /** A value past its TTL that may still stand in: within `windowMs` of it. */
  const usable = (entry: Entry<V> | undefined, windowMs: number): Entry<V> | undefined => (entry && now() < freshUntil(entry) + windowMs ? entry : undefined);

  const wait = (key: string, flight: Flight<V>, caller: Caller, standIn: Entry<V> | undefined, span?: LookUpSpan): Promise<Cached<V>> => {
    flight.waiters += 1;
    return new Promise<Cached<V>>((resolve, reject) => {
      let done = false;
      const leave = () => {
        done = true;
        flight.waiters -= 1;
        caller.signal.removeEventListener('abort', gaveUp);
      };
      const fail = (error: unknown) => {
        const stale = usable(standIn, options.staleIfErrorMs);
        if (stale) {
          note(span, 'stale');
          resolve(answer(stale, 'STALE', caller));
        } else {
          caller.onDelivery?.(null);
          reject(error);
        }
      };
      function gaveUp() {
        if (done) return;
        leave();
        if (flight.waiters === 0 && !flight.background) flight.abort.abort();
        fail(deadlinePassed(options.what));
      }
      if (caller.signal.aborted) return gaveUp();
      caller.signal.addEventListener('abort', gaveUp, { once: true });
      flight.entry.then(
        (entry) => {
          if (done) return;
          leave();
          resolve(answer(entry, 'LIVE', caller));
        },
        (error: unknown) => {
          if (done) return;
          leave();
          // A load started for background work was refused its share of the quota: a caller
          // that may spend more loads for itself rather than take the refusal.
          if (refusedShare(flight, caller, error)) resolve(lookUp(key, caller, span));
          else fail(error);
        },
      );
    });
  };

  const refreshAhead = (key: string, entry: Entry<V>, at: number) => {
    const ahead = options.refreshAhead;
    if (!ahead || inflight.has(key)) return;
    const count = (reads.get(entry) ?? 0) + 1;
    reads.set(entry, count);
    const aheadMs = entry.ttlMs * ahead.share;
    // A read while as many refreshes as allowed are out still counts: a later read may start it.
    if (count < ahead.minReads || at < freshUntil(entry) - aheadMs || refreshing >= ahead.maxInFlight) return;
    // Once per entry: the refresh replaces it, and a new entry starts counting afresh.
    reads.set(entry, Number.NEGATIVE_INFINITY);
    void (async () => {
      if (ahead.mayRefresh && !(await ahead.mayRefresh(key, aheadMs).catch(() => false))) return;
      if (inflight.has(key) || entries.peek(key) !== entry) return;
      emit('refresh');
      refresh(key);
    })();
  };

  const readShared = async (key: string): Promise<Entry<V> | undefined> => {
    try {
      const text = await tier!.get(sharedKey(key));
      return text === null ? undefined : (JSON.parse(text) as Entry<V>);
    } catch {
      return undefined;
    }
  };

  /** Not fresh here: maybe in the shared tier, maybe answered stale while it refreshes, else loaded. */
  const miss = async (key: string, local: Entry<V> | undefined, caller: Caller, span: LookUpSpan | undefined): Promise<Cached<V>> => {
    let known = local;
    if (tier) {
      const shared = await readShared(key);
      if (shared && now() < freshUntil(shared)) {
        entries.set(key, shared);
        note(span, 'hit');
        return answer(shared, 'CACHED', caller);
      }
      if (shared && (!known || shared.fetchedAt > known.fetchedAt)) known = shared;
      // Another caller may have started the load while the tier answered.
      const flight = inflight.get(key);
      if (flight) return join(key, flight, caller, known, span);
    }
    const stale = usable(known, options.staleWhileRevalidateMs);
    if (stale) {
      note(span, 'stale');
      note(span, 'refresh');
      refresh(key, span);
      return answer(stale, 'STALE', caller);
    }
    if (caller.spend) {
      const waitSeconds = await caller.spend();
      if (waitSeconds !== null) return refuse(caller, known, waitSeconds, span);
      // Another caller may have started the load while the budget answered.
      const flight = inflight.get(key);
      if (flight) return join(key, flight, caller, known, span);
    }
    // Nobody waits any longer (a cancelled report, a request past its deadline): start nothing.
    if (caller.signal.aborted) {
      caller.onDelivery?.(null);
      throw deadlinePassed(options.what);
    }
    note(span, 'miss');
    return wait(key, start(key, false, caller, span), caller, known, span);
  };

  /** The caller's budget allows no call now: a recent value stands in, or RATE_LIMITED. */
  const refuse = (caller: Caller, known: Entry<V> | undefined, waitSeconds: number, span: LookUpSpan | undefined): Cached<V> => {
    const stale = usable(known, options.staleIfErrorMs);
    if (stale) {
      note(span, 'stale');
      return answer(stale, 'STALE', caller);
    }
    caller.onDelivery?.(null);
    throw new UpstreamError('RATE_LIMITED', `${options.what} was not called: this client's upstream budget is spent; retry in ${waitSeconds} s`, {
      hostFailure: false,
      retryAfterSeconds: waitSeconds,
      origin: 'caller',
    });
  };

  const lookUp = (key: string, caller: Caller, span?: LookUpSpan): Promise<Cached<V>> => {
    const entry = entries.get(key);
    const at = now();
    if (entry && at < freshUntil(entry)) {
      note(span, 'hit');
      refreshAhead(key, entry, at);
      return Promise.resolve(answer(entry, 'CACHED', caller));
    }
    const flight = inflight.get(key);
    if (flight) {
      // A refresh is under way: a value still within the stale-while-revalidate window answers at once.
      const stale = usable(entry, options.staleWhileRevalidateMs);
      if (stale) {
        note(span, 'stale');
        return Promise.resolve(answer(stale, 'STALE', caller));
      }
      return join(key, flight, caller, entry, span);
    }
    return miss(key, entry, caller, span);
  };

  const kept = createKeptKeys<V>(
    {
      peek: (key) => entries.peek(key),
      async newerElsewhere(key, known) {
        if (!tier) return undefined;
        const shared = await readShared(key);
        if (!shared || (known && shared.fetchedAt <= known.fetchedAt)) return undefined;
        entries.set(key, shared);
        return shared;
      },
      inFlight: (key) => inflight.get(key)?.entry,
      refresh(key) {
        emit('refresh');
        return refresh(key).entry;
      },
    },
    options.keepFresh,
    now,
  );

  return {
    get: (key, caller) => inLookUpSpan(caller.tracer, options.name, key, (span) => lookUp(key, caller, span)),
    async peek(key) {
      return (entries.peek(key) ?? (tier ? await readShared(key) : undefined))?.value;
    },
    drop(keys) {
      const dropped = keys ? keys.filter((key) => entries.delete(key)).length : entries.size;
      if (!keys) entries.clear();
      // A load under way was asked for before the purge: its value must not be kept after it,
      // and the next look-up loads again instead of joining it.
      for (const key of keys ?? [...inflight.keys()]) {
        const flight = inflight.get(key);
        if (!flight) continue;
        flight.purged = true;
        inflight.delete(key);
      }
      // A key kept fresh (a live subscription's) is loaded again now rather than at its old time.
      kept.renew(keys);
      return dropped;
    },
    async purgeShared(keys) {
      if (!tier) return 0;
      // Its locks too: a refresh lock left would keep every instance from refreshing a kept key until it ran out.
      return keys
        ? tier.delete(keys.map(sharedKey), [...keys.map(loadLockKey), ...keys.map((key) => refreshLockKey(options.name, key))])
        : tier.deletePrefixed(sharedKey(''));
    },
    keepFresh: (key, onValue) => kept.hold(key, onValue),
    get keptKeys() {
      return kept.size;
    },
    get size() {
      return entries.size;
    },
    clear() {
      kept.clear();
      entries.clear();
      for (const flight of inflight.values()) flight.abort.abort();
      inflight.clear();
    },
  };
}
