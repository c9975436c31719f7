import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { createPostLoaders } from './post-loaders.js';
import { createUserLoaders } from './user-loaders.js';

export interface LoaderDeps {
  db: Kysely<Database>;
  viewerId: number | null;
}

/** Fresh loaders for one request: their caches must never outlive it or cross viewers. */
export function createLoaders(deps: LoaderDeps) {
  return {
    ...createUserLoaders(deps.db),
    ...createPostLoaders(deps.db, deps.viewerId),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
