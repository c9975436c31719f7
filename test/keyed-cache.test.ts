import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackgroundLane } from '../sources/kit/background-lane.js';
import { BACKGROUND, type Caller } from '../sources/kit/caller.js';
import type { Freshness } from '../sources/kit/freshness.js';
import type { CallContext } from '../sources/kit/http.js';
import type { CacheEvent } from '../sources/kit/events.js';
import { KEEP_FRESH_LEAD_MS, KEPT_RETRY_MS } from '../sources/kit/kept-keys.js';
import { createKeyedCache, type KeyedCache, type KeyedCacheOptions, refreshLockKey } from '../sources/kit/keyed-cache.js';
import type { SharedTier } from '../sources/kit/shared-tier.js';
import type { CallTrace, LookUpSpan, LookUpTracer } from '../sources/kit/trace.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';

const MINUTE = 60_000;
/** Where every test's clock starts. */
const START = 1_000_000;

/** A load that settles when the test says so, and records each call and its context. */
function deferredLoads<V>() {
  const calls: { key: string; context: CallContext; resolve: (value: V) => void; reject: (error: Error) => void }[] = [];
  const load = (key: string, context: CallContext) => new Promise<V>((resolve, reject) => calls.push({ key, context, resolve, reject }));
  return { load, calls };
}

function setUp<V>(options: Partial<KeyedCacheOptions<V>> = {}) {
  let clock = START;
  const events: CacheEvent[] = [];
  const loads = deferredLoads<V>();
  const cache = createKeyedCache<V>({
    name: 'test',
    what: 'The test service',
    load: loads.load,
    maxEntries: 100,
    ttlMs: () => 5 * MINUTE,
    staleWhileRevalidateMs: 0,
    staleIfErrorMs: 10 * MINUTE,
    onEvent: (event) => events.push(event),
    now: () => clock,
    ...options,
  });
  return { cache, events, calls: loads.calls, advance: (ms: number) => (clock += ms) };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A shared tier in this process's memory, with Redis's SET NX PX semantics for locks. */
function memoryTier(): SharedTier & { values: Map<string, string> } {
  const values = new Map<string, string>();
  const locks = new Set<string>();
  return {
    values,
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => void values.set(key, value),
    lock: async (key) => {
      if (locks.has(key)) return false;
      locks.add(key);
      return true;
    },
    unlock: async (key) => void locks.delete(key),
    delete: async (keys, removedLocks = []) => {
      for (const lock of removedLocks) locks.delete(lock);
      return keys.filter((key) => values.delete(key)).length;
    },
    deletePrefixed: async (prefix) => {
      for (const lock of locks) if (lock.startsWith(prefix)) locks.delete(lock);
      return [...values.keys()].filter((key) => key.startsWith(prefix) && values.delete(key)).length;
    },
  };
}

/** A look-up span that keeps what it was told: its events, the spans it follows, how it ended. */
interface RecordedSpan extends LookUpSpan {
  key: string;
  events: CacheEvent[];
  linked: (LookUpSpan | undefined)[];
  ends: unknown[];
}

/** A tracer that records each look-up span it starts. */
function recordingTracer(): { tracer: LookUpTracer; spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  const tracer: LookUpTracer = {
    lookUp(_cache, key) {
      // Nothing in these tests calls an upstream through the trace: only its identity is checked.
      const calls = {} as CallTrace;
      const span: RecordedSpan = {
        key,
        events: [],
        linked: [],
        ends: [],
        calls,
        event: (event) => void span.events.push(event),
        follows: (other) => void span.linked.push(other),
        end: (result) => void span.ends.push(result),
      };
      spans.push(span);
      return span;
    },
  };
  return { tracer, spans };
}

/** A caller with no deadline of its own, whose wait the test ends with `abort()`. */
function callerWithSignal(): Caller & { abort(): void } {
  const controller = new AbortController();
  return { deadline: Number.POSITIVE_INFINITY, signal: controller.signal, abort: () => controller.abort() };
}

/** A shared tier entry as the cache writes it. */
const tierEntry = (value: string, fetchedAt: number, ttlMs = 5 * MINUTE) => JSON.stringify({ value, fetchedAt, ttlMs });

const fresh = (state: Freshness['state'], fetchedAt: number, ageMs = 0): Freshness => ({ state, fetchedAt, ttlMs: 5 * MINUTE, ageMs });

describe('keyed cache', () => {
  it('shares one load between concurrent callers of a key (singleflight); all of them get it LIVE', async () => {
    const { cache, events, calls } = setUp<string>();
    const pending = Array.from({ length: 10 }, () => cache.get('paris', BACKGROUND));
    expect(calls).toHaveLength(1);
    calls[0]!.resolve('sunny');
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 10 }, () => ({ value: 'sunny', freshness: fresh('LIVE', START) })));
    expect(events).toEqual(['miss', ...Array.from({ length: 9 }, () => 'joined')]);
  });

  it('answers CACHED within the TTL, with the age, and loads again after it', async () => {
    const { cache, events, calls, advance } = setUp<string>();
    const first = cache.get('k', BACKGROUND);
    calls[0]!.resolve('one');
    await first;
    advance(5 * MINUTE - 1);
    expect(await cache.get('k', BACKGROUND)).toEqual({ value: 'one', freshness: fresh('CACHED', START, 5 * MINUTE - 1) });
    advance(1);
    const again = cache.get('k', BACKGROUND);
    calls[1]!.resolve('two');
    expect(await again).toEqual({ value: 'two', freshness: fresh('LIVE', START + 5 * MINUTE) });
    expect(events).toEqual(['miss', 'hit', 'miss']);
  });

  it('gives each value its own TTL, so that "not found" lives shorter', async () => {
    let loads = 0;
    const { cache, advance } = setUp<string | null>({
      ttlMs: (value) => (value === null ? MINUTE : 60 * MINUTE),
      load: async (key) => {
        loads++;
        return key === 'atlantis' ? null : 'found';
      },
    });
    await cache.get('atlantis', BACKGROUND);
    await cache.get('paris', BACKGROUND);
    advance(MINUTE);
    await cache.get('atlantis', BACKGROUND);
    await cache.get('paris', BACKGROUND);
    expect(loads).toBe(3);
  });

  it('does not cache a failure: every waiting caller gets it, and the next caller loads again', async () => {
    const { cache, calls } = setUp<string>();
    const first = cache.get('k', BACKGROUND);
    const joined = cache.get('k', BACKGROUND);
    calls[0]!.reject(new Error('upstream down'));
    await expect(first).rejects.toThrow('upstream down');
    await expect(joined).rejects.toThrow('upstream down');
    const again = cache.get('k', BACKGROUND);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('back');
    expect((await again).value).toBe('back');
  });

  it('serves a value past its TTL as STALE when the load fails, and not once the stale-if-error window has passed', async () => {
    const { cache, events, calls, advance } = setUp<string>();
    const first = cache.get('k', BACKGROUND);
    calls[0]!.resolve('old');
    await first;
    advance(5 * MINUTE + 1);
    const stale = cache.get('k', BACKGROUND);
    calls[1]!.reject(new Error('upstream down'));
    expect(await stale).toEqual({ value: 'old', freshness: fresh('STALE', START, 5 * MINUTE + 1) });
    advance(10 * MINUTE);
    const gone = cache.get('k', BACKGROUND);
    calls[2]!.reject(new Error('upstream down'));
    await expect(gone).rejects.toThrow('upstream down');
    expect(events).toEqual(['miss', 'miss', 'stale', 'miss']);
  });

  describe('stale-while-revalidate', () => {
    it('answers a value within the window at once as STALE, while one background load replaces it', async () => {
      const { cache, events, calls, advance } = setUp<string>({ staleWhileRevalidateMs: MINUTE });
      const first = cache.get('k', BACKGROUND);
      calls[0]!.resolve('old');
      await first;
      advance(5 * MINUTE + 30_000);
      // Nobody waits for the upstream: both answers come before the load settles.
      const [a, b] = await Promise.all([cache.get('k', BACKGROUND), cache.get('k', BACKGROUND)]);
      expect([a.value, a.freshness.state, b.value, b.freshness.state]).toEqual(['old', 'STALE', 'old', 'STALE']);
      expect(calls).toHaveLength(2);
      calls[1]!.resolve('new');
      await settle();
      expect(await cache.get('k', BACKGROUND)).toEqual({ value: 'new', freshness: fresh('CACHED', START + 5 * MINUTE + 30_000) });
      expect(events).toEqual(['miss', 'stale', 'refresh', 'stale', 'hit']);
    });

    it('waits for the load once the window has passed', async () => {
      const { cache, calls, advance } = setUp<string>({ staleWhileRevalidateMs: MINUTE });
      const first = cache.get('k', BACKGROUND);
      calls[0]!.resolve('old');
      await first;
      advance(6 * MINUTE);
      let answered = false;
      const later = cache.get('k', BACKGROUND).then((cached) => {
        answered = true;
        return cached;
      });
      await settle();
      expect(answered).toBe(false);
      calls[1]!.resolve('new');
      expect((await later).freshness.state).toBe('LIVE');
    });

    it('keeps the old value when the background load fails, until the window passes', async () => {
      const { cache, calls, advance } = setUp<string>({ staleWhileRevalidateMs: MINUTE });
      const first = cache.get('k', BACKGROUND);
      calls[0]!.resolve('old');
      await first;
      advance(5 * MINUTE + 1);
      expect((await cache.get('k', BACKGROUND)).freshness.state).toBe('STALE');
      calls[1]!.reject(new Error('upstream down'));
      await settle();
      expect((await cache.get('k', BACKGROUND)).value).toBe('old');
      expect(calls).toHaveLength(3);
    });
  });

  describe('refresh-ahead', () => {
    const ahead = { share: 0.2, minReads: 2, maxInFlight: 10 };

    async function warm(options: Partial<KeyedCacheOptions<string>> = {}) {
      const set = setUp<string>({ refreshAhead: ahead, ...options });
      const first = set.cache.get('k', BACKGROUND);
      set.calls[0]!.resolve('v1');
      await first;
      return set;
    }

    it('refreshes a key read repeatedly, in the background, in the last part of its TTL: readers never wait or see STALE', async () => {
      const { cache, calls, events, advance } = await warm();
      advance(MINUTE);
      await cache.get('k', BACKGROUND);
      advance(2 * MINUTE + 59_000);
      expect((await cache.get('k', BACKGROUND)).freshness.state).toBe('CACHED');
      expect(calls).toHaveLength(1); // not yet in the last fifth (the last minute)
      advance(2_000);
      expect(await cache.get('k', BACKGROUND)).toMatchObject({ value: 'v1', freshness: { state: 'CACHED' } });
      await settle();
      expect(calls).toHaveLength(2);
      calls[1]!.resolve('v2');
      await settle();
      advance(MINUTE);
      // Past the first value's TTL: the refreshed one answers, fresh.
      expect(await cache.get('k', BACKGROUND)).toMatchObject({ value: 'v2', freshness: { state: 'CACHED' } });
      expect(events.filter((event) => event === 'refresh')).toHaveLength(1);
      expect(events).not.toContain('stale');
    });

    it('does not refresh a key read only once, nor twice for one entry: a refresh that failed is not tried again for it', async () => {
      const { cache, calls, events, advance } = await warm();
      advance(4 * MINUTE + 30_000);
      await cache.get('k', BACKGROUND);
      await settle();
      expect(calls).toHaveLength(1);
      await cache.get('k', BACKGROUND);
      await settle();
      expect(calls).toHaveLength(2);
      // The refresh fails: the entry stays, and its further reads start no other refresh.
      calls[1]!.reject(new Error('upstream down'));
      await settle();
      for (let read = 0; read < 3; read += 1) expect((await cache.get('k', BACKGROUND)).value).toBe('v1');
      await settle();
      expect(calls).toHaveLength(2);
      expect(events.filter((event) => event === 'refresh')).toHaveLength(1);
    });

    it(`refreshes at most maxInFlight keys at once; a hot key found while the cap is reached is refreshed by a later read`, async () => {
      const { cache, calls, events, advance } = setUp<string>({ refreshAhead: { ...ahead, maxInFlight: 1 } });
      for (const key of ['a', 'b']) {
        const first = cache.get(key, BACKGROUND);
        calls.at(-1)!.resolve(`${key}1`);
        await first;
      }
      advance(4 * MINUTE + 30_000);
      // Two reads each: both hot, in the last fifth. Only a's refresh starts.
      for (const key of ['a', 'a', 'b', 'b']) await cache.get(key, BACKGROUND);
      await settle();
      expect(calls.map((call) => call.key)).toEqual(['a', 'b', 'a']);
      // Once a's refresh is done, b's next read starts b's.
      calls[2]!.resolve('a2');
      await settle();
      await cache.get('b', BACKGROUND);
      await settle();
      expect(calls.map((call) => call.key)).toEqual(['a', 'b', 'a', 'b']);
      calls[3]!.resolve('b2');
      await settle();
      advance(MINUTE);
      expect([(await cache.get('a', BACKGROUND)).value, (await cache.get('b', BACKGROUND)).value]).toEqual(['a2', 'b2']);
      expect(events.filter((event) => event === 'refresh')).toHaveLength(2);
    });

    it('asks first, and skips the refresh when told no (a short quota, a lock held elsewhere)', async () => {
      const asked: [string, number][] = [];
      const { cache, calls, advance } = await warm({
        refreshAhead: {
          ...ahead,
          mayRefresh: async (key, aheadMs) => {
            asked.push([key, aheadMs]);
            return false;
          },
        },
      });
      advance(4 * MINUTE + 30_000);
      // The second read makes the key hot and asks; the third does not ask again for this entry.
      for (let read = 0; read < 3; read += 1) await cache.get('k', BACKGROUND);
      await settle();
      expect(asked).toEqual([['k', MINUTE]]);
      expect(calls).toHaveLength(1);
    });

    it('refreshes from the first moment of the last part of the TTL', async () => {
      const { cache, calls, advance } = await warm();
      // The last fifth of five minutes starts four minutes after the load.
      advance(4 * MINUTE);
      await cache.get('k', BACKGROUND);
      await cache.get('k', BACKGROUND);
      await settle();
      expect(calls).toHaveLength(2);
    });

    it('takes an ask that fails for a no', async () => {
      const { cache, calls, advance } = await warm({ refreshAhead: { ...ahead, mayRefresh: () => Promise.reject(new Error('redis down')) } });
      advance(4 * MINUTE + 30_000);
      await cache.get('k', BACKGROUND);
      await cache.get('k', BACKGROUND);
      await settle();
      expect(calls).toHaveLength(1);
    });

    it('drops a refresh it was allowed when, while it asked, a load of the key started or a new value came', async () => {
      const allow = new Map<string, (yes: boolean) => void>();
      const { cache, calls, events, advance } = setUp<string>({
        refreshAhead: { ...ahead, mayRefresh: (key) => new Promise((resolve) => allow.set(key, resolve)) },
      });
      for (const key of ['loading', 'loaded']) {
        const first = cache.get(key, BACKGROUND);
        calls.at(-1)!.resolve('v1');
        await first;
      }
      advance(4 * MINUTE + 30_000);
      for (const key of ['loading', 'loading', 'loaded', 'loaded']) await cache.get(key, BACKGROUND);
      await settle();
      expect([...allow.keys()]).toEqual(['loading', 'loaded']);
      // Dropped and looked up again while the asks are out: one load still under way, one done.
      cache.drop(['loading', 'loaded']);
      const loading = cache.get('loading', BACKGROUND);
      const loaded = cache.get('loaded', BACKGROUND);
      calls[3]!.resolve('v2');
      await loaded;
      for (const yes of allow.values()) yes(true);
      await settle();
      expect(calls.map((call) => call.key)).toEqual(['loading', 'loaded', 'loading', 'loaded']);
      expect(events.filter((event) => event === 'refresh')).toEqual([]);
      calls[2]!.resolve('v2');
      await loading;
    });

    it('links a refresh ahead to no look-up in its trace', async () => {
      const { tracer, spans } = recordingTracer();
      const { cache, calls, advance } = await warm({ tracer });
      advance(4 * MINUTE + 30_000);
      await cache.get('k', BACKGROUND);
      await cache.get('k', BACKGROUND);
      await settle();
      expect(calls).toHaveLength(2);
      expect(spans.map((span) => [span.events, span.linked])).toEqual([[['refresh'], []]]);
    });
  });

  describe('deadlines', () => {
    it('a caller whose deadline passes gets UPSTREAM_TIMEOUT, and a load nobody waits for is aborted', async () => {
      const { cache, calls } = setUp<string>();
      const caller = callerWithSignal();
      const pending = cache.get('k', caller);
      caller.abort();
      await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: expect.stringMatching(/deadline/) });
      expect(calls[0]!.context.signal!.aborted).toBe(true);
    });

    it('a load another caller still waits for goes on, and answers that caller', async () => {
      const { cache, calls } = setUp<string>();
      const impatient = callerWithSignal();
      const first = cache.get('k', impatient);
      const second = cache.get('k', callerWithSignal());
      impatient.abort();
      await expect(first).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      expect(calls[0]!.context.signal!.aborted).toBe(false);
      calls[0]!.resolve('done');
      expect((await second).value).toBe('done');
    });

    it('gives the load the deadline and the attempt listener of the caller that started it', async () => {
      const { cache, calls } = setUp<string>();
      const onAttempt = () => {};
      void cache.get('k', { deadline: 1234, signal: new AbortController().signal, onAttempt });
      expect(calls[0]!.context).toMatchObject({ deadline: 1234, onAttempt });
    });
  });

  it('tells the caller of each value it hands out, and of each failure', async () => {
    const { cache, calls, advance } = setUp<string>();
    const told: (Freshness | null)[] = [];
    const caller: Caller = { ...BACKGROUND, onDelivery: (freshness) => told.push(freshness) };
    const first = cache.get('k', caller);
    calls[0]!.resolve('v');
    await first;
    advance(1000);
    await cache.get('k', caller);
    const failing = cache.get('other', caller);
    calls[1]!.reject(new Error('down'));
    await expect(failing).rejects.toThrow('down');
    expect(told).toEqual([fresh('LIVE', START), fresh('CACHED', START, 1000), null]);
  });

  it('stays at its bound after 100,000 distinct keys, keeping the most recently used', async () => {
    let loads = 0;
    const { cache, advance } = setUp<number>({
      maxEntries: 1000,
      load: async (key) => {
        loads++;
        return Number(key.slice(5));
      },
    });
    for (let index = 0; index < 100_000; index += 1) {
      await cache.get(`city ${index}`, BACKGROUND);
      advance(7);
    }
    expect(cache.size).toBe(1000);
    expect(loads).toBe(100_000);
    expect((await cache.get('city 99999', BACKGROUND)).value).toBe(99_999);
    expect(loads).toBe(100_000);
    await cache.get('city 0', BACKGROUND);
    expect(loads).toBe(100_001);
  });

  it('reads and writes an optional shared tier as JSON, so another instance need not load', async () => {
    const store = new Map<string, { value: string; ttlMs: number }>();
    const sharedTier: SharedTier = {
      get: async (key) => store.get(key)?.value ?? null,
      set: async (key, value, ttlMs) => void store.set(key, { value, ttlMs }),
      lock: async () => true,
      unlock: async () => {},
      delete: async () => 0,
      deletePrefixed: async () => 0,
    };
    let loaded = 0;
    const load = async () => {
      loaded++;
      return { temperatureC: 12.5 };
    };
    const one = setUp<{ temperatureC: number }>({ sharedTier, load, staleWhileRevalidateMs: MINUTE });
    const other = setUp<{ temperatureC: number }>({ sharedTier, load });
    await one.cache.get('paris', BACKGROUND);
    await settle();
    expect([...store.keys()]).toEqual(['gatherql:test:paris']);
    // Kept in the tier for the TTL and the longer of the two stale windows.
    expect(store.get('gatherql:test:paris')!.ttlMs).toBe(15 * MINUTE);
    expect(await other.cache.get('paris', BACKGROUND)).toEqual({ value: { temperatureC: 12.5 }, freshness: fresh('CACHED', START) });
    expect(loaded).toBe(1);
    expect(other.events).toEqual(['hit']);
  });

  it('treats a failing shared tier as empty', async () => {
    const sharedTier: SharedTier = {
      get: async () => {
        throw new Error('redis down');
      },
      set: async () => {
        throw new Error('redis down');
      },
      lock: async () => true,
      unlock: async () => {},
      delete: async () => {
        throw new Error('redis down');
      },
      deletePrefixed: async () => {
        throw new Error('redis down');
      },
    };
    const { cache } = setUp<string>({ sharedTier, load: async () => 'loaded' });
    expect((await cache.get('k', BACKGROUND)).value).toBe('loaded');
  });

  describe('across instances (a shared tier with locks)', () => {
    it('concurrent cold look-ups of one key on three instances cost one load; the others take what it wrote', async () => {
      const sharedTier = memoryTier();
      const instances = Array.from({ length: 3 }, () => setUp<string>({ sharedTier }));
      const answers = Promise.all(instances.map((instance) => instance.cache.get('lima', BACKGROUND)));
      await expect.poll(() => instances.reduce((sum, instance) => sum + instance.calls.length, 0)).toBe(1);
      const loader = instances.find((instance) => instance.calls.length === 1)!;
      loader.calls[0]!.resolve('sunny');
      expect((await answers).map((cached) => [cached.value, cached.freshness.state])).toEqual(Array.from({ length: 3 }, () => ['sunny', 'LIVE']));
      expect(instances.reduce((sum, instance) => sum + instance.calls.length, 0)).toBe(1);
    });

    it('when the loading instance fails, another loads rather than waiting out the lock', async () => {
      const sharedTier = memoryTier();
      const [one, two] = [setUp<string>({ sharedTier, sharedLockMs: 60_000 }), setUp<string>({ sharedTier, sharedLockMs: 60_000 })];
      const first = one.cache.get('lima', BACKGROUND);
      await expect.poll(() => one.calls.length).toBe(1);
      const second = two.cache.get('lima', BACKGROUND);
      one.calls[0]!.reject(new Error('upstream down'));
      await expect(first).rejects.toThrow('upstream down');
      await expect.poll(() => two.calls.length).toBe(1);
      two.calls[0]!.resolve('back');
      expect((await second).value).toBe('back');
    });
  });

  describe('purge', () => {
    it('drops the entries of the keys it is given, or every entry, and says how many there were', async () => {
      const { cache } = setUp<string>({ load: async (key) => `value of ${key}` });
      for (const key of ['a', 'b', 'c']) await cache.get(key, BACKGROUND);
      expect(cache.drop(['a', 'x', 'a'])).toBe(1);
      expect(cache.size).toBe(2);
      expect(cache.drop()).toBe(2);
      expect(cache.size).toBe(0);
      expect(cache.drop()).toBe(0);
    });

    it('keeps no value whose load began before the purge, even one that answers after the next load', async () => {
      for (const purge of [(cache: KeyedCache<string>) => cache.drop(['a']), (cache: KeyedCache<string>) => cache.drop()]) {
        const { cache, calls } = setUp<string>();
        const before = cache.get('a', BACKGROUND);
        await settle();
        expect(calls).toHaveLength(1);
        purge(cache);
        // The next look-up loads anew rather than joining the load from before.
        const after = cache.get('a', BACKGROUND);
        await settle();
        expect(calls.map((call) => call.key)).toEqual(['a', 'a']);
        calls[1]!.resolve('new');
        expect((await after).value).toBe('new');
        // The old load answers last: those who waited for it get it; the cache keeps the new value.
        calls[0]!.resolve('old');
        expect((await before).value).toBe('old');
        expect(await cache.get('a', BACKGROUND)).toMatchObject({ value: 'new', freshness: { state: 'CACHED' } });
      }
    });

    it('loads a dropped key on its next look-up, and leaves the other keys cached', async () => {
      let loads = 0;
      const { cache, events } = setUp<string>({
        load: async (key) => {
          loads++;
          return key;
        },
      });
      await cache.get('a', BACKGROUND);
      await cache.get('b', BACKGROUND);
      cache.drop(['a']);
      expect((await cache.get('a', BACKGROUND)).freshness.state).toBe('LIVE');
      expect((await cache.get('b', BACKGROUND)).freshness.state).toBe('CACHED');
      expect(loads).toBe(3);
      expect(events).toEqual(['miss', 'miss', 'miss', 'hit']);
    });

    it('removes keys, or every key of its cache, from the shared tier, never another cache’s', async () => {
      const sharedTier = memoryTier();
      const load = async (key: string) => key;
      const test = setUp<string>({ sharedTier, load });
      const other = setUp<string>({ sharedTier, load, name: 'other' });
      for (const key of ['a', 'b', 'c']) await test.cache.get(key, BACKGROUND);
      await other.cache.get('a', BACKGROUND);
      await settle();
      // An instance refreshing 'a' holds its lock; the purge frees it for whoever refreshes next.
      expect(await sharedTier.lock(refreshLockKey('test', 'a'), 60_000)).toBe(true);
      expect(await sharedTier.lock(refreshLockKey('test', 'b'), 60_000)).toBe(true);
      expect(await test.cache.purgeShared(['a', 'x'])).toBe(1);
      expect(await sharedTier.lock(refreshLockKey('test', 'a'), 60_000)).toBe(true);
      expect(await sharedTier.lock(refreshLockKey('test', 'b'), 60_000)).toBe(false);
      expect([...sharedTier.values.keys()].sort()).toEqual(['gatherql:other:a', 'gatherql:test:b', 'gatherql:test:c']);
      expect(await test.cache.purgeShared()).toBe(2);
      expect([...sharedTier.values.keys()]).toEqual(['gatherql:other:a']);
      // Only the tier: this instance keeps its own entries until it drops them.
      expect(test.cache.size).toBe(3);
    });

    it('removes the load lock of a purged key with it: the next instance to need the key loads at once', async () => {
      const sharedTier = memoryTier();
      // Held for ten minutes after a load, as long as a load may take: a purge must not leave it.
      const [one, two] = [setUp<string>({ sharedTier, sharedLockMs: 600_000 }), setUp<string>({ sharedTier, sharedLockMs: 600_000 })];
      const first = one.cache.get('a', BACKGROUND);
      await expect.poll(() => one.calls.length).toBe(1);
      one.calls[0]!.resolve('old');
      await first;
      expect(await one.cache.purgeShared(['a'])).toBe(1);
      const next = two.cache.get('a', BACKGROUND);
      await expect.poll(() => two.calls.length, { timeout: 20_000 }).toBe(1);
      two.calls[0]!.resolve('new');
      expect(await next).toEqual({ value: 'new', freshness: fresh('LIVE', START) });
    });

    it('has nothing to remove without a shared tier', async () => {
      const { cache } = setUp<string>({ load: async (key) => key });
      await cache.get('a', BACKGROUND);
      expect(await cache.purgeShared()).toBe(0);
      expect(cache.size).toBe(1);
    });

    it('rejects a purge of the shared tier that cannot reach it', async () => {
      const sharedTier = { ...memoryTier(), deletePrefixed: () => Promise.reject(new Error('redis down')) };
      const { cache } = setUp<string>({ sharedTier, load: async (key) => key });
      await expect(cache.purgeShared()).rejects.toThrow('redis down');
    });

    it('peeks at a value, fresh or not, here or in the shared tier, without loading it', async () => {
      const sharedTier = memoryTier();
      const one = setUp<string>({ sharedTier, load: async (key) => `value of ${key}` });
      const two = setUp<string>({ sharedTier });
      await one.cache.get('a', BACKGROUND);
      await settle();
      one.advance(60 * MINUTE);
      expect(await one.cache.peek('a')).toBe('value of a');
      expect(await two.cache.peek('a')).toBe('value of a');
      expect(await two.cache.peek('b')).toBeUndefined();
      expect(two.calls).toHaveLength(0);
      expect(two.events).toEqual([]);
    });
  });

  describe('a caller that has given up', () => {
    const aborted = (): Caller => {
      const caller = callerWithSignal();
      caller.abort();
      return caller;
    };

    it('starts no load for a caller whose deadline has already passed, and tells it of the failure', async () => {
      const { cache, calls, events } = setUp<string>();
      const told: (Freshness | null)[] = [];
      await expect(cache.get('k', { ...aborted(), onDelivery: (freshness) => told.push(freshness) })).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      // A caller that listens to nothing gets the same error.
      await expect(cache.get('k', aborted())).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      expect(calls).toHaveLength(0);
      expect(told).toEqual([null]);
      expect(events).toEqual([]);
    });

    it('does not keep a caller whose deadline has passed waiting for a load another started, which goes on', async () => {
      const { cache, calls } = setUp<string>();
      const first = cache.get('k', BACKGROUND);
      const late = cache.get('k', aborted()).then(
        () => 'answered',
        (error: UpstreamError) => error.code,
      );
      await settle();
      calls[0]!.resolve('v');
      expect(await late).toBe('UPSTREAM_TIMEOUT');
      expect(calls[0]!.context.signal!.aborted).toBe(false);
      expect((await first).value).toBe('v');
    });

    it('tells a caller that gave up of its failure once, whether the load then succeeds or fails', async () => {
      for (const settleLoad of ['resolve', 'reject'] as const) {
        const { cache, calls } = setUp<string>();
        const told: (Freshness | null)[] = [];
        const caller = { ...callerWithSignal(), onDelivery: (freshness: Freshness | null) => told.push(freshness) };
        const pending = cache.get('k', caller);
        // Another caller keeps the load going.
        const other = cache.get('k', BACKGROUND).catch(() => undefined);
        caller.abort();
        await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
        if (settleLoad === 'resolve') calls[0]!.resolve('v');
        else calls[0]!.reject(new Error('down'));
        await other;
        await settle();
        expect(told).toEqual([null]);
      }
    });

    it('forgets a load cleared away when it settles, without unseating the load started after it', async () => {
      const { cache, calls, events } = setUp<string>();
      const cleared = cache.get('k', BACKGROUND).catch((error: Error) => error.message);
      cache.clear();
      const next = cache.get('k', BACKGROUND);
      calls[0]!.reject(new Error('cleared'));
      expect(await cleared).toBe('cleared');
      const joined = cache.get('k', BACKGROUND);
      expect(calls).toHaveLength(2);
      calls[1]!.resolve('v');
      expect([(await next).value, (await joined).value]).toEqual(['v', 'v']);
      expect(events).toEqual(['miss', 'miss', 'joined']);
    });
  });

  describe("a caller's budget (Caller.spend)", () => {
    it('refuses a cold look-up the budget does not allow with RATE_LIMITED, not the host’s fault, and calls nothing', async () => {
      const { cache, calls, events } = setUp<string>();
      const told: (Freshness | null)[] = [];
      const refused = cache.get('k', { ...BACKGROUND, spend: async () => 12, onDelivery: (freshness) => told.push(freshness) });
      await expect(refused).rejects.toBeInstanceOf(UpstreamError);
      await expect(refused).rejects.toMatchObject({
        code: 'RATE_LIMITED',
        message: "The test service was not called: this client's upstream budget is spent; retry in 12 s",
        retryAfterSeconds: 12,
        hostFailure: false,
        origin: 'caller',
      });
      await expect(cache.get('k', { ...BACKGROUND, spend: async () => 12 })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      expect(calls).toHaveLength(0);
      expect(told).toEqual([null]);
      expect(events).toEqual([]);
    });

    it('answers a recent value past its TTL as STALE when the budget refuses the call', async () => {
      const { cache, calls, events, advance } = setUp<string>();
      const first = cache.get('k', BACKGROUND);
      calls[0]!.resolve('old');
      await first;
      advance(6 * MINUTE);
      expect(await cache.get('k', { ...BACKGROUND, spend: async () => 12 })).toEqual({ value: 'old', freshness: fresh('STALE', START, 6 * MINUTE) });
      expect(calls).toHaveLength(1);
      expect(events).toEqual(['miss', 'stale']);
    });

    it('asks the budget once per call it would start, and never for a hit', async () => {
      const { cache, calls } = setUp<string>();
      let asked = 0;
      const caller: Caller = {
        ...BACKGROUND,
        spend: async () => {
          asked += 1;
          return null;
        },
      };
      const first = cache.get('k', caller);
      await settle();
      expect(calls).toHaveLength(1);
      calls[0]!.resolve('v');
      expect((await first).freshness.state).toBe('LIVE');
      expect((await cache.get('k', caller)).freshness.state).toBe('CACHED');
      expect(asked).toBe(1);
    });

    it('joins the load another caller started while the budget answered', async () => {
      const { cache, calls, events } = setUp<string>();
      let allow!: (waitSeconds: number | null) => void;
      const spending = cache.get('k', { ...BACKGROUND, spend: () => new Promise((resolve) => (allow = resolve)) });
      await settle();
      const other = cache.get('k', BACKGROUND);
      allow(null);
      await settle();
      expect(calls).toHaveLength(1);
      calls[0]!.resolve('v');
      expect([(await spending).value, (await other).value]).toEqual(['v', 'v']);
      expect(events).toEqual(['miss', 'joined']);
    });
  });

  describe('what a load is given, and a load refused its share of the quota', () => {
    it('passes the quota share and the lane of the caller that started it, and nothing the caller does not have', async () => {
      const { cache, calls } = setUp<string>();
      const lane = { name: 'reports' } as unknown as BackgroundLane;
      void cache.get('a', { ...BACKGROUND, quotaShare: 0.25, lane });
      void cache.get('b', BACKGROUND);
      expect(calls[0]!.context).toStrictEqual({
        signal: expect.any(AbortSignal),
        deadline: Number.POSITIVE_INFINITY,
        onAttempt: undefined,
        quotaShare: 0.25,
        lane,
      });
      expect(calls[1]!.context).toStrictEqual({ signal: expect.any(AbortSignal), deadline: Number.POSITIVE_INFINITY, onAttempt: undefined });
    });

    const quotaRefusal = () => new UpstreamError('QUOTA_EXHAUSTED', 'The test service’s quota share is spent');

    it('loads again for a joined caller that may spend more of the quota, and hands the refusal to the others', async () => {
      const { cache, calls } = setUp<string>();
      const background = cache.get('k', { ...BACKGROUND, quotaShare: 0.5 });
      const sameShare = cache.get('k', { ...BACKGROUND, quotaShare: 0.5 });
      const smallerShare = cache.get('k', { ...BACKGROUND, quotaShare: 0.25 });
      const request = cache.get('k', BACKGROUND);
      calls[0]!.reject(quotaRefusal());
      for (const refused of [background, sameShare, smallerShare]) await expect(refused).rejects.toMatchObject({ code: 'QUOTA_EXHAUSTED' });
      await settle();
      expect(calls).toHaveLength(2);
      expect(calls[1]!.context).not.toHaveProperty('quotaShare');
      calls[1]!.resolve('v');
      expect(await request).toEqual({ value: 'v', freshness: fresh('LIVE', START) });
    });

    it('hands every joined caller any other failure, and a refusal of a load that had the whole quota', async () => {
      const failures = [
        { startedBy: { ...BACKGROUND, quotaShare: 0.5 }, error: new UpstreamError('UPSTREAM_UNAVAILABLE', 'down') },
        // Not an UpstreamError, whatever its code says.
        { startedBy: { ...BACKGROUND, quotaShare: 0.5 }, error: Object.assign(new Error('odd'), { code: 'QUOTA_EXHAUSTED' }) },
        { startedBy: BACKGROUND, error: quotaRefusal() },
      ];
      for (const { startedBy, error } of failures) {
        const { cache, calls } = setUp<string>();
        const first = cache.get('k', startedBy);
        const request = cache.get('k', BACKGROUND);
        calls[0]!.reject(error);
        await expect(first).rejects.toBe(error);
        await expect(request).rejects.toBe(error);
        expect(calls).toHaveLength(1);
      }
    });
  });

  describe('traced look-ups', () => {
    it('links a look-up that joins a load to the look-up that started it, whose trace the load is given', async () => {
      const { cache, calls } = setUp<string>();
      const { tracer, spans } = recordingTracer();
      const caller = { ...BACKGROUND, tracer };
      const answers = Promise.all([cache.get('k', caller), cache.get('k', caller)]);
      calls[0]!.resolve('v');
      await answers;
      const [starter, joiner] = spans;
      expect(spans.map((span) => [span.key, span.events, span.ends])).toEqual([
        ['k', ['miss'], [{ state: 'LIVE' }]],
        ['k', ['joined'], [{ state: 'LIVE' }]],
      ]);
      expect(starter!.linked).toEqual([]);
      expect(joiner!.linked).toHaveLength(1);
      expect(joiner!.linked[0]).toBe(starter);
      expect(calls[0]!.context.trace).toBe(starter!.calls);
    });

    it('links nothing to a load started by a look-up that was not traced', async () => {
      const { cache, calls } = setUp<string>();
      const { tracer, spans } = recordingTracer();
      const untraced = cache.get('k', BACKGROUND);
      const traced = cache.get('k', { ...BACKGROUND, tracer });
      calls[0]!.resolve('v');
      await Promise.all([untraced, traced]);
      expect(spans[0]!.linked).toEqual([]);
      expect(calls[0]!.context).not.toHaveProperty('trace');
    });

    it('traces a refresh of its own, linked to the look-up that found the value stale, and ends it with how the load went', async () => {
      const own = recordingTracer();
      const requests = recordingTracer();
      const { cache, calls, advance } = setUp<string>({ staleWhileRevalidateMs: MINUTE, tracer: own.tracer });
      const first = cache.get('k', BACKGROUND);
      calls[0]!.resolve('old');
      await first;
      expect(own.spans).toEqual([]);
      advance(5 * MINUTE + 1);
      expect((await cache.get('k', { ...BACKGROUND, tracer: requests.tracer })).freshness.state).toBe('STALE');
      const [refresh] = own.spans;
      expect([refresh!.events, refresh!.ends]).toEqual([['refresh'], []]);
      expect(refresh!.linked).toHaveLength(1);
      expect(refresh!.linked[0]).toBe(requests.spans[0]);
      // The cache's own load: the source's own budget, no caller's deadline.
      expect(calls[1]!.context).toStrictEqual({ signal: expect.any(AbortSignal), trace: refresh!.calls });
      calls[1]!.resolve('new');
      await settle();
      expect(refresh!.ends).toEqual([{ state: 'LIVE' }]);
      advance(5 * MINUTE + 1);
      await cache.get('k', BACKGROUND);
      const error = new Error('down');
      calls[2]!.reject(error);
      await settle();
      expect(own.spans[1]!.ends).toEqual([{ error }]);
      expect(own.spans[1]!.linked).toEqual([]);
    });
  });

  describe('the shared tier, beyond its first read', () => {
    it('loads rather than take a value from the tier whose TTL ends now', async () => {
      const sharedTier = memoryTier();
      sharedTier.values.set('gatherql:test:k', tierEntry('expired', START - 5 * MINUTE));
      const { cache, calls, events } = setUp<string>({ sharedTier });
      const answer = cache.get('k', BACKGROUND);
      await expect.poll(() => calls.length).toBe(1);
      calls[0]!.resolve('new');
      expect(await answer).toEqual({ value: 'new', freshness: fresh('LIVE', START) });
      expect(events).toEqual(['miss']);
    });

    it('while another instance loads, waits for what it writes rather than take an expired value from the tier', async () => {
      const memory = memoryTier();
      memory.values.set('gatherql:test:k', tierEntry('expired', START - 5 * MINUTE));
      let reads = 0;
      const sharedTier = {
        ...memory,
        get: (key: string) => {
          reads += 1;
          return memory.get(key);
        },
      };
      const [one, two] = [setUp<string>({ sharedTier }), setUp<string>({ sharedTier })];
      const first = one.cache.get('k', BACKGROUND);
      await expect.poll(() => one.calls.length).toBe(1);
      const before = reads;
      const second = two.cache.get('k', BACKGROUND);
      // Its look on a miss, then two of its looks for what the loading instance writes, with the expired value still there.
      await expect.poll(() => reads, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 3);
      one.calls[0]!.resolve('new');
      expect([(await first).value, (await second).value]).toEqual(['new', 'new']);
      expect(two.calls).toHaveLength(0);
    });

    it('stands in for a failed load with the newer of its own value and the tier’s', async () => {
      const cases = [
        { tierFetchedAt: START + MINUTE, expected: 'from the tier' },
        { tierFetchedAt: START - MINUTE, expected: 'its own' },
        // As recent as its own: its own is kept.
        { tierFetchedAt: START, expected: 'its own' },
        { tierFetchedAt: undefined, expected: 'its own' },
      ];
      for (const { tierFetchedAt, expected } of cases) {
        // Every lock free: only the stand-in is looked at here.
        const sharedTier = { ...memoryTier(), lock: async () => true };
        const { cache, calls, advance } = setUp<string>({ sharedTier });
        const first = cache.get('k', BACKGROUND);
        await expect.poll(() => calls.length).toBe(1);
        calls[0]!.resolve('its own');
        await first;
        await settle();
        if (tierFetchedAt === undefined) sharedTier.values.clear();
        else sharedTier.values.set('gatherql:test:k', tierEntry('from the tier', tierFetchedAt));
        advance(7 * MINUTE);
        const again = cache.get('k', BACKGROUND);
        await expect.poll(() => calls.length).toBe(2);
        calls[1]!.reject(new Error('down'));
        expect(await again).toMatchObject({ value: expected, freshness: { state: 'STALE' } });
      }
    });

    it('stands in for a failed load with a value only the tier has, past its TTL', async () => {
      const sharedTier = memoryTier();
      sharedTier.values.set('gatherql:test:k', tierEntry('from the tier', START - 6 * MINUTE));
      const { cache, calls } = setUp<string>({ sharedTier });
      const answer = cache.get('k', BACKGROUND);
      await expect.poll(() => calls.length).toBe(1);
      calls[0]!.reject(new Error('down'));
      expect(await answer).toEqual({ value: 'from the tier', freshness: fresh('STALE', START - 6 * MINUTE, 6 * MINUTE) });
    });

    it('joins a load of this instance that started while the tier answered', async () => {
      const sharedTier = memoryTier();
      const { cache, calls, events } = setUp<string>({ sharedTier });
      const answers = Promise.all([cache.get('k', BACKGROUND), cache.get('k', BACKGROUND)]);
      await expect.poll(() => calls.length).toBe(1);
      calls[0]!.resolve('v');
      expect((await answers).map((cached) => cached.value)).toEqual(['v', 'v']);
      expect(events).toEqual(['miss', 'joined']);
    });

    it('holds a key it loads for five seconds by default, or for sharedLockMs', async () => {
      for (const [sharedLockMs, held] of [
        [undefined, 5_000],
        [60_000, 60_000],
      ] as const) {
        const locks: [string, number][] = [];
        const sharedTier: SharedTier = {
          ...memoryTier(),
          lock: async (key, ttlMs) => {
            locks.push([key, ttlMs]);
            return true;
          },
        };
        const { cache } = setUp<string>({ sharedTier, load: async () => 'v', ...(sharedLockMs && { sharedLockMs }) });
        await cache.get('k', BACKGROUND);
        expect(locks).toEqual([['gatherql:test:k:load', held]]);
      }
    });
  });
});

describe('keepFresh', () => {
  // Real timers would make these tests wait for real TTLs: the clock and the timers are faked together.
  beforeEach(() => void vi.useFakeTimers({ now: START }));
  afterEach(() => void vi.useRealTimers());

  /** A cache whose loads answer at once, v1, v2…, and count. */
  function counting(options: Partial<KeyedCacheOptions<string>> = {}) {
    const loads: string[] = [];
    const cache = createKeyedCache<string>({
      name: 'test',
      what: 'The test service',
      load: async (key) => {
        loads.push(key);
        return `v${loads.length}`;
      },
      maxEntries: 100,
      ttlMs: () => 10_000,
      staleWhileRevalidateMs: 0,
      staleIfErrorMs: MINUTE,
      now: Date.now,
      ...options,
    });
    return { cache, loads };
  }

  it('loads a key kept fresh again at once when a purge drops it, so that its holders hear the new value; a key not held is not loaded', async () => {
    const { cache, loads } = counting();
    const heard: string[] = [];
    const release = cache.keepFresh('k', (cached) => heard.push(cached.value));
    await vi.advanceTimersByTimeAsync(0);
    await cache.get('other', BACKGROUND);
    expect(loads).toEqual(['k', 'other']);
    expect(cache.drop(['k', 'other'])).toBe(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(loads).toEqual(['k', 'other', 'k']);
    expect(heard).toEqual(['v1', 'v3']);
    // Every entry, as a purge of the whole source drops them.
    expect(cache.drop()).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(loads).toEqual(['k', 'other', 'k', 'k']);
    release();
  });

  it('loads a key nobody reads once per cycle, shortly before it expires, tells its holders, and stops after the last one leaves', async () => {
    const { cache, loads } = counting();
    const heard: [string, string, number][] = [];
    const first = cache.keepFresh('k', (cached) => heard.push(['first', cached.value, cached.freshness.fetchedAt]));
    await vi.advanceTimersByTimeAsync(0);
    expect(loads).toEqual(['k']);
    const second = cache.keepFresh('k', (cached) => heard.push(['second', cached.value, cached.freshness.fetchedAt]));
    expect(cache.keptKeys).toBe(1);
    // A TTL of 10 s: refreshed KEEP_FRESH_LEAD_MS before it ends (less than its last fifth).
    const cycle = 10_000 - KEEP_FRESH_LEAD_MS;
    await vi.advanceTimersByTimeAsync(cycle - 1);
    expect(loads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(loads).toHaveLength(2);
    expect(heard).toEqual([
      ['first', 'v1', START],
      ['first', 'v2', START + cycle],
      ['second', 'v2', START + cycle],
    ]);
    // A read finds the kept value fresh: no reader waits for it.
    expect((await cache.get('k', BACKGROUND)).freshness.state).toBe('CACHED');
    first();
    await vi.advanceTimersByTimeAsync(cycle);
    expect(loads).toHaveLength(3);
    second();
    expect(cache.keptKeys).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(loads).toHaveLength(3);
  });

  it('asks before each refresh, and retries in a while when told no or when the load fails, never in a busy loop', async () => {
    let allowed = false;
    let failing = false;
    const { cache, loads } = counting({
      keepFresh: { share: 0.2, mayRefresh: async () => allowed },
      load: async (key) => {
        loads.push(key);
        if (failing) throw new Error('upstream down');
        return 'v';
      },
    });
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loads).toEqual([]);
    allowed = true;
    await vi.advanceTimersByTimeAsync(KEPT_RETRY_MS.min);
    expect(loads).toHaveLength(1);
    failing = true;
    await vi.advanceTimersByTimeAsync(10_000 - KEEP_FRESH_LEAD_MS);
    expect(loads).toHaveLength(2);
    // Failed: tried again after a pause (a quarter of the TTL's last fifth here), not at once.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loads.length).toBeLessThanOrEqual(2 + Math.ceil(10_000 / KEPT_RETRY_MS.min));
    expect(loads.length).toBeGreaterThan(2);
    release();
  });

  it('tries again a quarter of the TTL’s last part after a refresh told no or failed (500 ms for 10 s), and asks to hold the key for that last part', async () => {
    let allowed = true;
    const asked: number[] = [];
    const { cache, loads } = counting({
      keepFresh: {
        share: 0.2,
        mayRefresh: async (_key, aheadMs) => {
          asked.push(aheadMs);
          return allowed;
        },
      },
    });
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(0);
    // Nothing held yet: the hold asked for is the shortest cycle.
    expect(asked).toEqual([KEPT_RETRY_MS.min]);
    expect(loads).toHaveLength(1);
    allowed = false;
    await vi.advanceTimersByTimeAsync(10_000 - KEEP_FRESH_LEAD_MS);
    // The last fifth of a 10 s TTL.
    expect(asked).toEqual([KEPT_RETRY_MS.min, 2_000]);
    await vi.advanceTimersByTimeAsync(499);
    expect(asked).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toHaveLength(3);
    allowed = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(loads).toHaveLength(2);
    release();
  });

  it('takes an ask that fails for a no', async () => {
    const { cache, loads } = counting({
      keepFresh: {
        share: 0.2,
        mayRefresh: async () => {
          throw new Error('Redis away');
        },
      },
    });
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(5_000);
    expect(loads).toEqual([]);
    release();
  });

  it('refreshes a short TTL its last fifth before it ends, and never sooner than KEPT_RETRY_MS.min after the last load', async () => {
    const { cache, loads } = counting({ ttlMs: () => 2_000 });
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_599);
    expect(loads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(loads).toHaveLength(2);
    release();

    const tiny = counting({ ttlMs: () => 100 });
    const releaseTiny = tiny.cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(KEPT_RETRY_MS.min - 1);
    expect(tiny.loads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tiny.loads).toHaveLength(2);
    releaseTiny();
  });

  it('waits for a load already under way instead of asking for another', async () => {
    let finish = () => {};
    const loads: string[] = [];
    let asks = 0;
    const { cache } = counting({
      keepFresh: {
        share: 0.2,
        mayRefresh: async () => {
          asks += 1;
          return true;
        },
      },
      load: (key) => {
        loads.push(key);
        return new Promise<string>((resolve) => {
          finish = () => resolve('v');
        });
      },
    });
    const reading = cache.get('k', BACKGROUND);
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asks).toBe(0);
    finish();
    await reading;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asks).toBe(0);
    expect(loads).toEqual(['k']);
    release();
  });

  it('does not refresh a key whose last holder left while its refresh was being asked for', async () => {
    let release = () => {};
    const { cache, loads } = counting({
      keepFresh: {
        share: 0.2,
        mayRefresh: async () => {
          release();
          return true;
        },
      },
    });
    release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(5_000);
    expect(loads).toEqual([]);
    expect(cache.keptKeys).toBe(0);
  });

  it('tells holders a value it loaded as LIVE, and stops keeping keys when the cache is cleared (a release after that is harmless)', async () => {
    const { cache, loads } = counting();
    const heard: string[] = [];
    const release = cache.keepFresh('k', (cached) => heard.push(cached.freshness.state));
    await vi.advanceTimersByTimeAsync(0);
    expect(heard).toEqual(['LIVE']);
    cache.clear();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(loads).toHaveLength(1);
    expect(() => release()).not.toThrow();
  });

  it('with a shared tier, three instances keeping one key fresh make one load per cycle in all, and all hold its value', async () => {
    const values = new Map<string, string>();
    const locks = new Map<string, number>();
    // Redis's SET NX PX, on the faked clock.
    const sharedTier: SharedTier = {
      get: async (key) => values.get(key) ?? null,
      set: async (key, value) => void values.set(key, value),
      lock: async (key, ttlMs) => {
        if ((locks.get(key) ?? 0) > Date.now()) return false;
        locks.set(key, Date.now() + ttlMs);
        return true;
      },
      unlock: async (key) => void locks.delete(key),
      // Nothing is purged here.
      delete: async () => 0,
      deletePrefixed: async () => 0,
    };
    let loads = 0;
    const instances = Array.from({ length: 3 }, () =>
      counting({
        sharedTier,
        keepFresh: { share: 0.2, mayRefresh: (key, aheadMs) => sharedTier.lock(`${key}:refresh`, aheadMs) },
        load: async () => `v${++loads}`,
      }),
    );
    for (const { cache } of instances) cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(loads).toBe(1);
    // Five cycles.
    await vi.advanceTimersByTimeAsync(5 * (10_000 - KEEP_FRESH_LEAD_MS) + 500);
    expect(loads).toBe(6);
    for (const { cache } of instances) expect((await cache.get('k', BACKGROUND)).value).toBe('v6');
  });

  it('counts each load it makes to keep a key fresh as a refresh', async () => {
    const events: CacheEvent[] = [];
    const { cache, loads } = counting({ onEvent: (event) => events.push(event) });
    const release = cache.keepFresh('k', () => {});
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loads).toEqual(['k', 'k']);
    expect(events).toEqual(['refresh', 'refresh']);
    release();
  });

  it('keeps its own value over an older one in the shared tier, and refreshes on its own value’s schedule', async () => {
    // A tier whose writes are lost: it keeps answering a value from a minute ago.
    const sharedTier = { ...memoryTier(), get: async () => tierEntry('older', START - MINUTE, 10_000), set: async () => {} };
    const { cache, loads } = counting({ sharedTier });
    const heard: string[] = [];
    const release = cache.keepFresh('k', (cached) => heard.push(cached.value));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loads).toEqual(['k']);
    expect(heard).toEqual(['v1']);
    expect((await cache.get('k', BACKGROUND)).value).toBe('v1');
    release();
  });
});
