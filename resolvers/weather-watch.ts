import type { BusSubscription, EventBus } from '../events/bus.js';
import { SUBSCRIBER_BUFFER } from '../events/bus.js';
import { createEventQueue, type LiveStream } from '../events/event-queue.js';
import type { Cached } from '../sources/kit/freshness.js';
import type { KeyedCache } from '../sources/kit/keyed-cache.js';
import type { CurrentWeather } from '../sources/open-meteo/forecast.js';
import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { coordinatesKey } from '../sources/open-meteo/locations.js';
import type { UpstreamScope } from './context.js';
import { placeNames } from './places.js';
import type { GatewayTopics, WeatherChange } from './topics.js';
import { cityWeather, upstreamWeatherFailure, type WeatherResult, weatherFailure } from './weather.js';

/**
 * Live weather for the subscribers of `weatherUpdates`, on one instance. No subscriber ever
 * polls: each watched place is one key of the weather cache, kept fresh by the cache itself
 * (KeyedCache.keepFresh: within the quota, and with Redis by one instance per key), and a
 * value that differs from the last one is published once on the event bus, which carries it
 * to every instance; each instance hears it once per place and hands it to its subscribers
 * of that place. A refresh that brings the same value publishes nothing. When the last
 * subscriber of a place leaves, the place is no longer kept fresh.
 */
export interface WeatherWatch {
  /**
   * Each city's weather now (a WeatherError for a city that cannot be placed or has no value),
   * then each change of a placed city's weather, until the stream is returned. The names'
   * limits are the caller's (see claimCities).
   */
  watch(scope: UpstreamScope, cities: readonly string[]): LiveStream<WeatherResult>;
  /** Places watched on this instance now. */
  readonly places: number;
  /** Ends every stream and stops keeping any place fresh. */
  close(): void;
}

export interface WeatherWatchOptions {
  /** The weather cache, by coordinates key (sources.weather). */
  weather: KeyedCache<CurrentWeather>;
  events: EventBus<GatewayTopics>;
  /** Hears of the number of watched places each time it changes (a gauge). */
  onPlaces?: (count: number) => void;
  /** Wall clock, for the age of a value (the caches' clock). */
  now?: () => number;
}

/** One subscriber's interest in one place: the names it asked for that are there. */
interface Watcher {
  deliver(change: WeatherChange): void;
}

/** A place watched on this instance. */
interface Watched {
  watchers: Set<Watcher>;
  /** The value last published or heard for it (as JSON): what a new value is compared with. */
  last: string | undefined;
  changes: BusSubscription<WeatherChange>;
  /** Stops keeping it fresh; null until the first subscriber has read its value. */
  release: (() => void) | null;
}

/** What makes two values the same for a watcher: everything but when they were fetched. */
const signature = (value: CurrentWeather) => JSON.stringify(value);

export function createWeatherWatch(options: WeatherWatchOptions): WeatherWatch {
  const { weather, events } = options;
  const now = options.now ?? Date.now;
  const places = new Map<string, Watched>();
  const streams = new Set<LiveStream<WeatherResult>>();

  /** This instance loaded a value for a watched place (a refresh, or a request): published when it is new. */
  const loaded = (key: string, cached: Cached<CurrentWeather>) => {
    const watched = places.get(key);
    const seen = signature(cached.value);
    if (!watched || watched.last === seen) return;
    watched.last = seen;
    events.publish('weather-changed', key, { value: cached.value, fetchedAt: cached.freshness.fetchedAt, ttlMs: cached.freshness.ttlMs });
  };

  const join = (key: string, watcher: Watcher): Promise<void> => {
    let watched = places.get(key);
    if (!watched) {
      const changes = events.subscribe('weather-changed', key);
      const created: Watched = { watchers: new Set(), last: undefined, changes, release: null };
      watched = created;
      places.set(key, created);
      options.onPlaces?.(places.size);
      void (async () => {
        // Every instance hears each change once per place, this one's own included, and hands it on.
        for await (const change of changes) {
          created.last = signature(change.value);
          for (const each of created.watchers) each.deliver(change);
        }
      })().catch(() => leaveAll(key));
    }
    watched.watchers.add(watcher);
    return watched.changes.ready;
  };

  /** The first value a subscriber read is where comparing starts; the place is kept fresh from then on. */
  const started = (key: string, read: Cached<CurrentWeather> | null) => {
    const watched = places.get(key);
    if (!watched) return;
    if (read && watched.last === undefined) watched.last = signature(read.value);
    watched.release ??= weather.keepFresh(key, (cached) => loaded(key, cached));
  };

  const leave = (key: string, watcher: Watcher) => {
    const watched = places.get(key);
    if (!watched?.watchers.delete(watcher) || watched.watchers.size > 0) return;
    leaveAll(key);
  };

  const leaveAll = (key: string) => {
    const watched = places.get(key);
    if (!watched) return;
    places.delete(key);
    watched.release?.();
    void watched.changes.return();
    options.onPlaces?.(places.size);
  };

  const watch = (scope: UpstreamScope, cities: readonly string[]): LiveStream<WeatherResult> => {
    const joined: [string, Watcher][] = [];
    const queue = createEventQueue<WeatherResult>({
      // Room for a first answer of every city at once (cached values are all read in one turn), and the buffer after it.
      limit: SUBSCRIBER_BUFFER + cities.length,
      onClose: () => {
        streams.delete(queue.stream);
        for (const [key, watcher] of joined.splice(0)) leave(key, watcher);
      },
    });
    streams.add(queue.stream);
    // What each name was last given (as JSON): a change it already has is not sent again, and
    // its first value is not sent after a newer change.
    const delivered = new Map<number, string>();
    const send = (index: number, value: CurrentWeather, result: WeatherResult) => {
      const seen = signature(value);
      if (delivered.get(index) === seen) return;
      delivered.set(index, seen);
      queue.push(result);
    };

    const start = async (index: number, name: string, place: GeoLocation): Promise<void> => {
      const key = coordinatesKey(place);
      const watcher: Watcher = {
        deliver: ({ value, fetchedAt, ttlMs }) =>
          send(index, value, cityWeather(name, place, { value, freshness: { state: 'LIVE', fetchedAt, ttlMs, ageMs: Math.max(0, now() - fetchedAt) } })),
      };
      if (queue.closed) return;
      joined.push([key, watcher]);
      // Heard from before the value is read: a change published meanwhile is not missed.
      await join(key, watcher);
      let read: Cached<CurrentWeather>;
      try {
        read = await scope.loaders.weatherAt.load(key);
      } catch (error) {
        started(key, null);
        return queue.push(upstreamWeatherFailure(name, error));
      }
      started(key, read);
      // A change heard while the value was read is newer than it.
      if (!delivered.has(index)) send(index, read.value, cityWeather(name, place, read));
    };

    void Promise.all(
      placeNames(scope, cities).map((placed, index) =>
        placed.then((item) =>
          item.found ? start(index, item.name, item.place) : queue.push(weatherFailure(item.name, item.code, item.message, item.retryAfterSeconds)),
        ),
      ),
    ).catch((error: unknown) => queue.fail(error instanceof Error ? error : new Error(String(error))));
    return queue.stream;
  };

  return {
    watch,
    get places() {
      return places.size;
    },
    close() {
      for (const stream of [...streams]) void stream.return();
      for (const key of [...places.keys()]) leaveAll(key);
    },
  };
}
