import { describe, expect, it } from 'vitest';
import { type CacheEvent, createKeyedCache, type KeyedCacheOptions, type SharedTier } from '../loaders/keyed-cache.js';

const MINUTE = 60_000;
/** Where every test's clock starts. */
const START = 1_000_000;

function setUp<V>(options: Partial<KeyedCacheOptions<V>> = {}) {
  let clock = START;
  const events: CacheEvent[] = [];
  const cache = createKeyedCache<V>({
    name: 'test',
    maxEntries: 100,
    ttlMs: () => 5 * MINUTE,
    staleMs: 10 * MINUTE,
    onEvent: (event) => events.push(event),
    now: () => clock,
    ...options,
  });
  return { cache, events, advance: (ms: number) => (clock += ms) };
}

/** A load that resolves when the test says so, and counts its calls. */
function deferredLoad<V>() {
  const calls: { resolve: (value: V) => void; reject: (error: Error) => void }[] = [];
  const load = () => new Promise<V>((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

describe('keyed cache', () => {
  it('shares one load between concurrent callers of a key (singleflight)', async () => {
    const { cache, events } = setUp<string>();
    const { load, calls } = deferredLoad<string>();
    const pending = Array.from({ length: 10 }, () => cache.get('paris', load));
    expect(calls).toHaveLength(1);
    calls[0]!.resolve('sunny');
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 10 }, () => ({ value: 'sunny', stale: false, freshUntil: START + 5 * MINUTE })));
    expect(events).toEqual(['miss', ...Array.from({ length: 9 }, () => 'joined')]);
  });

  it('answers from cache within the TTL and loads again after it', async () => {
    const { cache, events, advance } = setUp<string>();
    let loads = 0;
    const load = async () => `value ${++loads}`;
    await cache.get('k', load);
    advance(5 * MINUTE - 1);
    expect(await cache.get('k', load)).toEqual({ value: 'value 1', stale: false, freshUntil: START + 5 * MINUTE });
    advance(1);
    expect(await cache.get('k', load)).toEqual({ value: 'value 2', stale: false, freshUntil: START + 10 * MINUTE });
    expect(events).toEqual(['miss', 'hit', 'miss']);
  });

  it('gives each value its own TTL, so that "not found" lives shorter', async () => {
    const { cache, advance } = setUp<string | null>({ ttlMs: (value) => (value === null ? MINUTE : 60 * MINUTE) });
    let loads = 0;
    const load = (value: string | null) => async () => (loads++, value);
    await cache.get('atlantis', load(null));
    await cache.get('paris', load('found'));
    advance(MINUTE);
    await cache.get('atlantis', load(null));
    await cache.get('paris', load('found'));
    expect(loads).toBe(3);
  });

  it('does not cache a failure: every waiting caller gets it, and the next caller loads again', async () => {
    const { cache } = setUp<string>();
    const { load, calls } = deferredLoad<string>();
    const first = cache.get('k', load);
    const joined = cache.get('k', load);
    calls[0]!.reject(new Error('upstream down'));
    await expect(first).rejects.toThrow('upstream down');
    await expect(joined).rejects.toThrow('upstream down');
    const again = cache.get('k', load);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('back');
    expect(await again).toEqual({ value: 'back', stale: false, freshUntil: START + 5 * MINUTE });
  });

  it('serves a recently expired value as stale when the load fails, and not once the stale window has passed', async () => {
    const { cache, events, advance } = setUp<string>();
    await cache.get('k', async () => 'old');
    advance(5 * MINUTE + 1);
    const failing = async (): Promise<string> => {
      throw new Error('upstream down');
    };
    // A stale stand-in's freshness is already past.
    expect(await cache.get('k', failing)).toEqual({ value: 'old', stale: true, freshUntil: START + 5 * MINUTE });
    advance(10 * MINUTE);
    await expect(cache.get('k', failing)).rejects.toThrow('upstream down');
    expect(events).toEqual(['miss', 'miss', 'stale', 'miss']);
  });

  it('stays at its bound after 100,000 distinct keys, keeping the most recently used', async () => {
    const { cache, advance } = setUp<number>({ maxEntries: 1000 });
    for (let index = 0; index < 100_000; index += 1) {
      await cache.get(`city ${index}`, async () => index);
      advance(7);
    }
    expect(cache.size).toBe(1000);
    let loaded = false;
    expect(await cache.get('city 99999', async () => ((loaded = true), -1))).toEqual({ value: 99_999, stale: false, freshUntil: START + 99_999 * 7 + 5 * MINUTE });
    expect(loaded).toBe(false);
    expect(await cache.get('city 0', async () => -1)).toEqual({ value: -1, stale: false, freshUntil: START + 100_000 * 7 + 5 * MINUTE });
  });

  it('reads and writes an optional shared tier as JSON, so another instance need not load', async () => {
    const store = new Map<string, { value: string; ttlMs: number }>();
    const sharedTier: SharedTier = {
      get: async (key) => store.get(key)?.value ?? null,
      set: async (key, value, ttlMs) => void store.set(key, { value, ttlMs }),
    };
    const one = setUp<{ temperatureC: number }>({ sharedTier });
    const other = setUp<{ temperatureC: number }>({ sharedTier });
    await one.cache.get('paris', async () => ({ temperatureC: 12.5 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect([...store.keys()]).toEqual(['gatherql:test:paris']);
    expect(store.get('gatherql:test:paris')!.ttlMs).toBe(15 * MINUTE);

    let loaded = false;
    expect(await other.cache.get('paris', async () => ((loaded = true), { temperatureC: 0 }))).toEqual({ value: { temperatureC: 12.5 }, stale: false, freshUntil: START + 5 * MINUTE });
    expect(loaded).toBe(false);
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
    };
    const { cache } = setUp<string>({ sharedTier });
    expect(await cache.get('k', async () => 'loaded')).toEqual({ value: 'loaded', stale: false, freshUntil: START + 5 * MINUTE });
  });
});
