import { performance } from 'node:perf_hooks';
import DataLoader from 'dataloader';
import type { AttemptListener } from '../sources/http.js';
import type { CallOptions, Coordinates, CurrentWeather, OpenMeteo } from '../sources/open-meteo.js';
import { UpstreamError } from '../sources/upstream-error.js';

/**
 * Most locations in one forecast call. Small enough that one bad location costs little and
 * the URL stays short; large enough that WEATHER_MAX_CITIES' default (50) needs three calls.
 */
export const FORECAST_BATCH_CAP = 20;

/** Coordinates rounded to 2 decimals (about 1 km): what the weather cache keys on and asks for. */
export function coordinatesKey({ latitude, longitude }: Coordinates): string {
  return `${latitude.toFixed(2)},${longitude.toFixed(2)}`;
}

function coordinatesOf(key: string): Coordinates {
  const [latitude, longitude] = key.split(',').map(Number) as [number, number];
  return { latitude, longitude };
}

export interface ForecastBatcherOptions {
  /** Time the whole batch may take, the per-location retries after a failed batch included. */
  budgetMs: number;
  batchCap?: number;
}

export interface ForecastBatcher {
  /**
   * The current weather at a coordinates key, asked for together with every other key
   * loaded in the same turn. `onAttempt` hears of every attempt of the call(s) that carry
   * this key: a request's accounting of the upstream time it waited for.
   */
  load(key: string, onAttempt?: AttemptListener): Promise<CurrentWeather>;
}

/**
 * Process-wide: the locations asked for in one turn of the event loop, by any request, go
 * out in as few forecast calls as the cap allows. No cache of its own (the keyed cache in
 * front of it is the cache), so a key is never answered from a previous batch.
 */
export function createForecastBatcher(source: OpenMeteo, options: ForecastBatcherOptions): ForecastBatcher {
  // Who waits for each key that has not gone out yet; a batch takes those of its keys.
  const observers = new Map<string, AttemptListener[]>();
  const observersOf = (keys: readonly string[]): AttemptListener | undefined => {
    const all = new Set<AttemptListener>();
    for (const key of keys) {
      for (const observer of observers.get(key) ?? []) all.add(observer);
      observers.delete(key);
    }
    return all.size === 0 ? undefined : (attempt) => all.forEach((observer) => observer(attempt));
  };

  const loadBatch = async (keys: readonly string[]): Promise<(CurrentWeather | Error)[]> => {
    const onAttempt = observersOf(keys);
    const locations = keys.map(coordinatesOf);
    const deadline = performance.now() + options.budgetMs;
    if (locations.length === 1) return [await alone(source, locations[0]!, { deadline, onAttempt })];
    try {
      // A timed-out batch is not retried whole: asking each location alone is the better retry.
      return await source.currentWeather(locations, { deadline, retryTimeouts: false, onAttempt });
    } catch (error) {
      // A 429 is about us, not about a location: asking once per location would only make it worse.
      if (error instanceof UpstreamError && error.code === 'RATE_LIMITED') return locations.map(() => error);
      // One bad location must never fail its batch-mates: each is asked for alone, within the same budget.
      return Promise.all(locations.map((location) => alone(source, location, { deadline, onAttempt })));
    }
  };
  const loader = new DataLoader(loadBatch, {
    cache: false,
    maxBatchSize: options.batchCap ?? FORECAST_BATCH_CAP,
    // setImmediate rather than DataLoader's default tick: it also gathers the locations of
    // requests whose geocoding answers arrived in the same I/O phase, at no measurable cost.
    batchScheduleFn: (dispatch) => setImmediate(dispatch),
  });
  return {
    load(key, onAttempt) {
      if (onAttempt) observers.set(key, [...(observers.get(key) ?? []), onAttempt]);
      return loader.load(key);
    },
  };
}

/** The weather of one location, or the error that stopped it, as DataLoader wants a failed key. */
async function alone(source: OpenMeteo, location: Coordinates, options: CallOptions): Promise<CurrentWeather | Error> {
  try {
    return (await source.currentWeather([location], options))[0]!;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
