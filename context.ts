import type { Logger } from 'pino';
import type { DatabaseHandle } from './db/connect.js';
import { createLoaders } from './loaders/index.js';
import type { WeatherService } from './loaders/weather-service.js';
import { type TokenKey, toViewer, userIdFromAuthorization } from './resolvers/auth.js';
import type { DomainContext } from './resolvers/context.js';
import { unlimitedFreshness } from './resolvers/freshness.js';
import type { RecordTiming } from './plugins/use-server-timing.js';

/** Process-wide things a request context is built from; created once by the gateway. */
export interface ContextDeps {
  database: Pick<DatabaseHandle, 'db' | 'observed'>;
  logger: Logger;
  tokenKey: TokenKey;
  weather: WeatherService;
  weatherMaxCities: number;
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
  const loaders = createLoaders({
    db,
    viewerId: userId,
    weather: deps.weather,
    ...(record && { onUpstreamAttempt: (attempt) => record('upstream', attempt.durationMs) }),
  });
  const viewer = userId === null ? null : toViewer(await loaders.userById.load(userId));
  return {
    db,
    viewer,
    requestId: facts.requestId,
    logger: deps.logger.child({ requestId: facts.requestId }),
    tokenKey: deps.tokenKey,
    loaders,
    weatherMaxCities: deps.weatherMaxCities,
    weatherCitiesAsked: 0,
    freshness: unlimitedFreshness(),
  };
}
