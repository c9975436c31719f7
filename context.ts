import type { Logger } from 'pino';
import type { DatabaseHandle } from './db/connect.js';
import { createLoaders } from './loaders/index.js';
import type { RecordTiming } from './plugins/use-server-timing.js';
import { limitLifetime, unlimitedLifetime } from './resolvers/answer-lifetime.js';
import { type TokenKey, toViewer, userIdFromAuthorization } from './resolvers/auth.js';
import type { DomainContext } from './resolvers/context.js';
import type { Sources } from './sources/index.js';
import { callerWithin } from './sources/kit/caller.js';

/** Process-wide things a request context is built from; created once by the gateway. */
export interface ContextDeps {
  database: Pick<DatabaseHandle, 'db' | 'observed'>;
  logger: Logger;
  tokenKey: TokenKey;
  sources: Sources;
  weatherMaxCities: number;
  /** REQUEST_DEADLINE_MS: the time each request has for its upstream work. */
  requestDeadlineMs: number;
}

/** The GraphQL context: per request, built by createContext and nothing else. */
export interface Context extends DomainContext {
  requestId: string;
  logger: Logger;
}

export interface RequestFacts {
  requestId: string;
  /** The Authorization header as sent, or null. */
  authorization: string | null;
  /** Adds up the request's SQL statements and upstream attempts (its Server-Timing). */
  recordTiming?: RecordTiming;
}

/**
 * Builds one request's context. The viewer's role is read from the database (one
 * primary-key look-up, kept in the request's loader), so a demoted admin or a deleted
 * account loses its rights at once rather than when its token expires.
 */
export async function createContext(deps: ContextDeps, facts: RequestFacts): Promise<Context> {
  const userId = await userIdFromAuthorization(deps.tokenKey, facts.authorization);
  const record = facts.recordTiming;
  // Everything the request does reaches the database through this one handle, so all its statements are counted.
  const db = record ? deps.database.observed((ms) => record('db', ms)) : deps.database.db;
  const lifetime = unlimitedLifetime();
  // The request as every upstream look-up sees it: its deadline, its Server-Timing, and how long its answer may be kept.
  const caller = callerWithin(deps.requestDeadlineMs, {
    onDelivery: (freshness) => limitLifetime(lifetime, freshness),
    ...(record && { onAttempt: (attempt) => record('upstream', attempt.durationMs) }),
  });
  const loaders = createLoaders({ db, viewerId: userId, sources: deps.sources, caller });
  const viewer = userId === null ? null : toViewer(await loaders.userById.load(userId));
  return {
    db,
    viewer,
    requestId: facts.requestId,
    logger: deps.logger.child({ requestId: facts.requestId }),
    tokenKey: deps.tokenKey,
    loaders,
    weatherMaxCities: deps.weatherMaxCities,
    citiesAsked: 0,
    caller,
    lifetime,
  };
}
