import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db/database.js';
import { createLoaders } from './loaders/index.js';
import type { WeatherService } from './loaders/weather-service.js';
import { type TokenKey, toViewer, userIdFromAuthorization } from './resolvers/auth.js';
import type { DomainContext } from './resolvers/context.js';
import { unlimitedFreshness } from './resolvers/freshness.js';

/** Process-wide things a request context is built from; created once by the gateway. */
export interface ContextDeps {
  db: Kysely<Database>;
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
}

/**
 * Builds one request's context. The viewer's role is read from the database (one
 * primary-key look-up, kept in the request's loader), so a demoted admin or a deleted
 * account loses its rights at once rather than when its token expires.
 */
export async function createContext(deps: ContextDeps, facts: RequestFacts): Promise<Context> {
  const userId = await userIdFromAuthorization(deps.tokenKey, facts.authorization);
  const loaders = createLoaders({ db: deps.db, viewerId: userId, weather: deps.weather });
  const viewer = userId === null ? null : toViewer(await loaders.userById.load(userId));
  return {
    db: deps.db,
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
