import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Loaders } from '../loaders/index.js';
import type { UpstreamLoaders } from '../loaders/upstream-loaders.js';
import type { TokenKey, Viewer } from './auth.js';
import { RequestError } from './errors.js';
import type { Caller } from '../sources/kit/caller.js';
import type { AnswerLifetime } from './answer-lifetime.js';
import type { CachePurge } from './cache-purge.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import type { ReportSettings } from './reports.js';
import type { EventBus } from '../events/bus.js';
import type { GatewayTopics } from './topics.js';
import type { WeatherWatch } from './weather-watch.js';

/**
 * What the upstream look-ups need: the loaders that share one look-up per key, and who the
 * work is for (a request, or a background job). All that weather and places need, so that a
 * job runs the same pipeline as a request.
 */
export interface UpstreamScope {
  loaders: UpstreamLoaders;
  caller: Caller;
}

/** What domain operations need from a request; the GraphQL context is a superset. */
export interface DomainContext extends UpstreamScope {
  db: Kysely<Database>;
  loaders: Loaders;
  viewer: Viewer | null;
  /** Signs the tokens that signUp and logIn hand out. */
  tokenKey: TokenKey;
  /** Hashes and checks passwords, a bounded number at once (process-wide). */
  passwords: PasswordHasher;
  /** Slows down, then blocks, repeated failed logIns per username and per client (process-wide). */
  loginThrottle: LoginThrottle;
  /** Names the client the request came from (see limits/client-key.ts): what the login throttle and the budgets count by. */
  clientKey: () => Promise<string>;
  /** WEATHER_MAX_CITIES: more names in one `weather` or `cities` field is BAD_USER_INPUT. */
  weatherMaxCities: number;
  /** Names asked for so far by this request's `weather` and `cities` fields, against a per-request allowance. */
  citiesAsked: number;
  /** How long this request's answer stays true; every upstream value the request reads lowers it (see `caller`). */
  lifetime: AnswerLifetime;
  /** City reports: the job engine they run on and their limits (process-wide). */
  reports: ReportSettings;
  /** Purges the caches here, in the shared tier and on every other instance (process-wide). */
  cachePurge: CachePurge;
  /** The event bus every instance hears (process-wide): what writes tell and subscriptions listen to. */
  events: EventBus<GatewayTopics>;
  /** Live weather for weatherUpdates (process-wide). */
  weatherWatch: WeatherWatch;
  /**
   * Gives the context fresh loaders. A subscription's context lives as long as it does, and
   * each of its events must read the database anew, not what the first one read.
   */
  renewLoaders(this: { loaders: Loaders }): void;
}

/** The viewer of an operation that needs one; the schema's auth scopes normally refuse earlier. */
export function requireViewer(ctx: DomainContext): Viewer {
  if (!ctx.viewer) throw new RequestError('UNAUTHENTICATED', 'Sign in first: send "Authorization: Bearer <token>"');
  return ctx.viewer;
}
