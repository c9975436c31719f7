import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { AttemptListener } from '../sources/http.js';
import { createPostLoaders } from './post-loaders.js';
import { createUserLoaders } from './user-loaders.js';
import { createWeatherLoaders } from './weather-loaders.js';
import type { WeatherService } from './weather-service.js';

export interface LoaderDeps {
  db: Kysely<Database>;
  viewerId: number | null;
  /** Process-wide; absent where nothing asks for weather (a loader test on the database alone). */
  weather?: WeatherService;
  /** Hears of every upstream attempt made for this request (its Server-Timing). */
  onUpstreamAttempt?: AttemptListener;
}

/** Fresh loaders for one request: their caches must never outlive it or cross viewers. */
export function createLoaders(deps: LoaderDeps) {
  return {
    ...createUserLoaders(deps.db),
    ...createPostLoaders(deps.db, deps.viewerId),
    ...createWeatherLoaders(deps.weather, deps.onUpstreamAttempt),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * The loaders of a request whose viewer changed part-way (signUp, logIn): what depends on
 * the viewer starts afresh, the viewer-independent weather loader is kept.
 */
export function loadersForViewer(loaders: Loaders, deps: Omit<LoaderDeps, 'weather' | 'onUpstreamAttempt'>): Loaders {
  return { ...loaders, ...createUserLoaders(deps.db), ...createPostLoaders(deps.db, deps.viewerId) };
}

