import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db/database.js';
import { createLoaders } from './loaders/index.js';
import type { DomainContext, Viewer } from './resolvers/context.js';

/** Process-wide things a request context is built from; created once by the gateway. */
export interface ContextDeps {
  db: Kysely<Database>;
  logger: Logger;
}

/** The GraphQL context: per request, built by createContext and nothing else. */
export interface Context extends DomainContext {
  requestId: string;
  logger: Logger;
}

export interface RequestFacts {
  requestId: string;
  viewer: Viewer | null;
}

export function createContext(deps: ContextDeps, facts: RequestFacts): Context {
  return {
    db: deps.db,
    viewer: facts.viewer,
    requestId: facts.requestId,
    logger: deps.logger.child({ requestId: facts.requestId }),
    loaders: createLoaders({ db: deps.db, viewerId: facts.viewer?.id ?? null }),
  };
}
