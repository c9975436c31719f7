import { randomUUID } from 'node:crypto';
import type { KeyedCache, Purgeable } from '../sources/kit/keyed-cache.js';
import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { coordinatesKey } from '../sources/open-meteo/locations.js';
import { normaliseCity } from './city-name.js';
import type { DomainContext } from './context.js';
import { RequestError } from './errors.js';
import type { CachesPurged } from './topics.js';

/** The contract's CacheSource, and the upstream cache each one names (see Sources.caches); RESPONSES is the response cache. */
export const CACHE_SOURCES = {
  GEOCODING: 'geocoding',
  FORECAST: 'weather',
  AIR_QUALITY: 'air-quality',
  COUNTRIES: 'countries',
  RESPONSES: null,
} as const;

export type CacheSource = keyof typeof CACHE_SOURCES;

/** The cache of places by normalised name: where a place's coordinates are found. */
const PLACES = CACHE_SOURCES.GEOCODING;
/** The caches keyed by coordinates (see coordinatesKey): what a purge of places reaches besides their geocoding. */
const AT_COORDINATES: ReadonlySet<string> = new Set([CACHE_SOURCES.FORECAST, CACHE_SOURCES.AIR_QUALITY]);

/** Most place names one purge takes: each is a look-up of its coordinates. */
export const MAX_PURGED_PLACES = 1000;

export interface PurgeCachesInput {
  /** The caches to purge; all of them when absent. */
  sources?: readonly CacheSource[] | null | undefined;
  /** Only what is cached about these place names; everything when absent. */
  places?: readonly string[] | null | undefined;
}

/** What to purge, checked: `places` are geocoding keys (normalised names). */
export interface PurgeRequest {
  sources: readonly CacheSource[] | null;
  places: readonly string[] | null;
}

export interface CachePurgeDeps {
  /** Every upstream cache by name (Sources.caches). */
  caches: Readonly<Record<string, Purgeable>>;
  /** The geocoding cache, where the coordinates of a place are found. */
  places: Pick<KeyedCache<GeoLocation | null>, 'peek'>;
  /**
   * Forgets every kept answer and resolves with how many went. `everywhere` for the purging
   * instance; when another instance's purge is heard, only answers kept in this process remain
   * to be dropped (a store in Redis is every instance's, and was purged by the purging one).
   */
  dropAnswers: (everywhere: boolean) => Promise<number>;
  /** Tells every other instance what was purged (the event bus). */
  announce: (purge: CachesPurged) => void;
  /** Hears how many entries of a cache (`responses` for the answers) went in this instance, whoever purged. */
  onDropped?: (cache: string, count: number) => void;
}

/** Purges caches here, in the shared tier, and through the others (process-wide, built by the gateway). */
export interface CachePurge {
  /** An operator's purge: resolves with how many entries went here and in the shared tier. */
  purge(request: PurgeRequest): Promise<number>;
  /** Another instance's purge, heard on the bus: the same entries go here too. Its own are skipped. */
  heard(purge: CachesPurged): Promise<void>;
  /** Purges were announced that this instance did not hear (what they named is unknown): everything here goes. */
  missed(): Promise<void>;
}

type PurgeEvent = Omit<CachesPurged, 'origin'>;

/** The names of the upstream caches that `sources` names (all of them when null). */
function upstreamCaches(sources: readonly CacheSource[] | null): string[] {
  const names = (sources ?? (Object.keys(CACHE_SOURCES) as CacheSource[])).map((source) => CACHE_SOURCES[source]);
  return [...new Set(names.filter((name) => name !== null))];
}

export function createCachePurge(deps: CachePurgeDeps): CachePurge {
  const instance = randomUUID();
  const dropped = deps.onDropped ?? (() => {});

  /** The keys of `cache` that a purge of `places` reaches, given their coordinates; undefined for every key. */
  const keysOf = (cache: string, places: readonly string[] | null, coordinates: readonly string[]): readonly string[] | undefined => {
    if (places === null) return undefined;
    if (cache === PLACES) return places;
    return AT_COORDINATES.has(cache) ? coordinates : [];
  };

  /** The coordinates keys of the places this instance (or the shared tier) knows. */
  const coordinatesOf = async (places: readonly string[]): Promise<string[]> => {
    const found = await Promise.all(places.map((key) => deps.places.peek(key).catch(() => undefined)));
    return found.filter((place): place is GeoLocation => Boolean(place)).map(coordinatesKey);
  };

  /** Drops what `purge` names in this instance; before the places go, their coordinates are read. */
  const dropHere = async (purge: PurgeEvent): Promise<number> => {
    const coordinates = purge.places ? [...new Set([...purge.coordinates, ...(await coordinatesOf(purge.places))])] : [];
    let total = 0;
    for (const cache of purge.caches) {
      const count = deps.caches[cache]?.drop(keysOf(cache, purge.places, coordinates)) ?? 0;
      dropped(cache, count);
      total += count;
    }
    return total;
  };

  const dropAnswers = async (everywhere: boolean) => {
    const count = await deps.dropAnswers(everywhere);
    dropped('responses', count);
    return count;
  };

  return {
    async purge({ sources, places }) {
      const caches = upstreamCaches(sources);
      const coordinates = places ? await coordinatesOf(places) : [];
      const purge: PurgeEvent = { caches, places: places && [...places], coordinates };
      let total = await dropHere(purge);
      // The shared tier before the announcement: an instance that dropped its entry must not read the old one back.
      const shared = await Promise.allSettled(caches.map((cache) => deps.caches[cache]?.purgeShared(keysOf(cache, places, coordinates)) ?? 0));
      let unreachable = false;
      for (const outcome of shared) {
        if (outcome.status === 'fulfilled') total += outcome.value;
        else unreachable = true;
      }
      total += await dropAnswers(true).catch(() => {
        unreachable = true;
        return 0;
      });
      deps.announce({ origin: instance, ...purge });
      if (unreachable) {
        throw new RequestError(
          'UNAVAILABLE',
          'Redis is unreachable: the shared cache tier was not purged, and the other instances may not have heard of the purge; this instance dropped its own entries. Purge again once Redis answers.',
          { http: { status: 503 } },
        );
      }
      return total;
    },
    async heard(purge) {
      if (purge.origin === instance) return;
      await dropHere(purge);
      await dropAnswers(false);
    },
    async missed() {
      await dropHere({ caches: upstreamCaches(null), places: null, coordinates: [] });
      await dropAnswers(false);
    },
  };
}

/** What listenForPurges needs of the event bus and the log. */
export interface PurgeListenerDeps {
  /** A new subscription to `caches-purged` (EventBus.subscribe): a bounded queue, which drops a listener that falls behind. */
  subscribe: () => AsyncIterableIterator<CachesPurged> & { return(): Promise<IteratorResult<CachesPurged>> };
  cachePurge: CachePurge;
  onError: (error: unknown, what: string) => void;
}

/**
 * Hears the other instances' purges for as long as the gateway lives, one after the other.
 * A burst of purges can outrun it (each drop may wait for the answers in flight): then the bus
 * drops its subscription. It subscribes again at once and, since what it missed is unknown,
 * drops everything here: an entry kept past a purge would be served as fresh for its whole TTL.
 */
export function listenForPurges(deps: PurgeListenerDeps): { close(): Promise<void> } {
  let closed = false;
  let current = deps.subscribe();
  const listening = (async () => {
    while (!closed) {
      try {
        for await (const purge of current) {
          await deps.cachePurge.heard(purge).catch((error: unknown) => deps.onError(error, 'could not drop what another instance purged'));
        }
        return;
      } catch (error) {
        if (closed) return;
        current = deps.subscribe();
        deps.onError(error, 'missed purges of other instances: everything cached here is dropped');
        await deps.cachePurge.missed().catch((failure: unknown) => deps.onError(failure, 'could not drop what this instance holds'));
      }
    }
  })();
  return {
    async close() {
      closed = true;
      await current.return();
      await listening;
    },
  };
}

/**
 * purgeCaches: checks the input, then purges (see CachePurge). Place names are read as
 * `weather` reads them, so " PARIS" purges what `weather(cities: ["Paris"])` cached; a name
 * that could never be a place is BAD_USER_INPUT, and nothing is purged.
 */
export async function purgeCaches(ctx: Pick<DomainContext, 'cachePurge'>, input: PurgeCachesInput): Promise<{ purged: number }> {
  const sources = input.sources ?? null;
  if (sources?.length === 0) throw new RequestError('BAD_USER_INPUT', 'sources: name at least one cache, or leave it out to purge them all');
  let places: string[] | null = null;
  if (input.places) {
    if (input.places.length === 0) throw new RequestError('BAD_USER_INPUT', 'places: name at least one place, or leave it out to purge every entry');
    if (input.places.length > MAX_PURGED_PLACES) {
      throw new RequestError('BAD_USER_INPUT', `places: at most ${MAX_PURGED_PLACES} names in one purge (got ${input.places.length})`);
    }
    places = input.places.map((name, index) => {
      const checked = normaliseCity(name);
      if (!checked.ok) throw new RequestError('BAD_USER_INPUT', `places[${index}]: ${checked.reason}`, { path: ['input', 'places', String(index)] });
      return checked.key;
    });
    places = [...new Set(places)];
  }
  return { purged: await ctx.cachePurge.purge({ sources, places }) };
}
