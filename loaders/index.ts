import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Sources } from '../sources/index.js';
import { BACKGROUND, type Caller } from '../sources/kit/caller.js';
import { createPostLoaders } from './post-loaders.js';
import { createReportLoaders } from './report-loaders.js';
import { createUpstreamLoaders } from './upstream-loaders.js';
import { createUserLoaders } from './user-loaders.js';

export interface LoaderDeps {
  db: Kysely<Database>;
  viewerId: number | null;
  /** Process-wide; absent where nothing asks an upstream (a loader test on the database alone). */
  sources?: Sources;
  /** The request, as the upstreams see it: its deadline and who hears of its calls. */
  caller?: Caller;
}

/**
 * Fresh loaders for one request: their caches must never outlive it or cross viewers.
 * Written out property by property rather than spread from each part: past the first, a spread
 * copies its source at run time, key by key, and spreading the four parts cost every request
 * about 7 µs, five times what making its ten loaders costs.
 */
export function createLoaders(deps: LoaderDeps) {
  const { userById } = createUserLoaders(deps.db);
  const { reportById } = createReportLoaders(deps.db);
  const posts = createPostLoaders(deps.db, deps.viewerId);
  const upstream = createUpstreamLoaders(deps.sources, deps.caller ?? BACKGROUND);
  return {
    userById,
    postById: posts.postById,
    postsByAuthorId: posts.postsByAuthorId,
    postCountByAuthorId: posts.postCountByAuthorId,
    visiblePostCountByAuthorId: posts.visiblePostCountByAuthorId,
    reportById,
    placeByName: upstream.placeByName,
    weatherAt: upstream.weatherAt,
    airQualityAt: upstream.airQualityAt,
    countryByCode: upstream.countryByCode,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * The loaders of a request whose viewer changed part-way (signUp, logIn): what depends on
 * the viewer starts afresh, the viewer-independent upstream loaders are kept.
 */
export function loadersForViewer(loaders: Loaders, deps: Pick<LoaderDeps, 'db' | 'viewerId'>): Loaders {
  return { ...loaders, ...createUserLoaders(deps.db), ...createPostLoaders(deps.db, deps.viewerId), ...createReportLoaders(deps.db) };
}
