import type { LogFn, Logger } from 'pino';
import type { DatabaseHandle, StatementObserver } from './db/connect.js';
import type { Budget } from './limits/budget.js';
import type { UpstreamCost } from './limits/upstream-budget.js';
import { createLoaders, type Loaders } from './loaders/index.js';
import type { RecordTiming } from './plugins/use-server-timing.js';
import { type AnswerLifetime, limitLifetime, unlimitedLifetime } from './resolvers/answer-lifetime.js';
import { type TokenKey, toViewer, userIdFromAuthorization } from './resolvers/auth.js';
import type { DomainContext } from './resolvers/context.js';
import type { LoginThrottle } from './resolvers/login-throttle.js';
import type { PasswordHasher } from './resolvers/password-hasher.js';
import type { CachePurge } from './resolvers/cache-purge.js';
import type { ReportSettings } from './resolvers/reports.js';
import type { Sources } from './sources/index.js';
import type { EventBus } from './events/bus.js';
import type { GatewayTopics } from './resolvers/topics.js';
import type { WeatherWatch } from './resolvers/weather-watch.js';
import { callerWithin } from './sources/kit/caller.js';
import type { OperationTrace } from './tracing/types.js';

/** Process-wide things a request context is built from; created once by the gateway. */
export interface ContextDeps {
  database: Pick<DatabaseHandle, 'db' | 'observed'>;
  logger: Logger;
  tokenKey: TokenKey;
  sources: Sources;
  weatherMaxCities: number;
  /** REQUEST_DEADLINE_MS: the time each request has for its upstream work. */
  requestDeadlineMs: number;
  passwords: PasswordHasher;
  loginThrottle: LoginThrottle;
  /** UPSTREAM_BUDGET_PER_MINUTE per client, or null when off. */
  upstreamBudget: Budget | null;
  reports: ReportSettings;
  cachePurge: CachePurge;
  events: EventBus<GatewayTopics>;
  weatherWatch: WeatherWatch;
}

/** What a request's code logs through: pino's levels, each line with the request's id. */
export type RequestLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** The GraphQL context: per request, built by createContext and nothing else. */
export interface Context extends DomainContext {
  requestId: string;
  logger: RequestLogger;
  upstreamCost: UpstreamCost;
}

export interface RequestFacts {
  requestId: string;
  /** The Authorization header as sent, or null. */
  authorization: string | null;
  /** Adds up the request's SQL statements and upstream attempts (its Server-Timing). */
  recordTiming?: RecordTiming;
  /** Names the client (see limits/client-key.ts); `ip:unknown` where it cannot be known. */
  clientKey?: () => Promise<string>;
  /** Where the operation's look-ups, upstream attempts and statements are traced; absent when tracing is off. */
  trace?: OperationTrace;
}

/**
 * Builds one request's context. The viewer's role is read from the database (one
 * primary-key look-up, kept in the request's loader), so a demoted admin or a deleted
 * account loses its rights at once rather than when its token expires.
 */
export async function createContext(deps: ContextDeps, facts: RequestFacts): Promise<Context> {
  const userId = await userIdFromAuthorization(deps.tokenKey, facts.authorization);
  const { recordTiming: record, trace } = facts;
  const lifetime = unlimitedLifetime();
  // Everything the request does reaches the database through this one handle, so all its
  // statements are counted (and traced), and its answer is known to hold SQL rows.
  const db = deps.database.observed(statementObserver(lifetime, record, trace));
  const clientKey = facts.clientKey ?? (async () => 'ip:unknown');
  const upstreamCost: UpstreamCost = { lookUps: 0, refused: 0, budget: null };
  const budget = deps.upstreamBudget;
  // The request as every upstream look-up sees it: its deadline, its Server-Timing, how long
  // its answer may be kept, and what its client may still spend.
  const caller = callerWithin(deps.requestDeadlineMs, {
    onDelivery: (freshness) => limitLifetime(lifetime, freshness),
    onAttempt: record && ((attempt) => record('upstream', attempt.durationMs)),
    tracer: trace,
    spend: budget
      ? async () => {
          const state = await budget.spend(await clientKey());
          if (state.granted) upstreamCost.lookUps += 1;
          else upstreamCost.refused += 1;
          if (state.counted) upstreamCost.budget = { limit: budget.points, remaining: state.remaining, resetSeconds: state.resetSeconds };
          return state.granted ? null : state.resetSeconds;
        }
      : undefined,
  });
  const newLoaders = () => createLoaders({ db, viewerId: userId, sources: deps.sources, caller });
  const loaders = newLoaders();
  const viewer = userId === null ? null : toViewer(await loaders.userById.load(userId));
  return {
    db,
    viewer,
    requestId: facts.requestId,
    logger: requestLogger(deps.logger, facts.requestId),
    tokenKey: deps.tokenKey,
    passwords: deps.passwords,
    loginThrottle: deps.loginThrottle,
    clientKey,
    upstreamCost,
    loaders,
    weatherMaxCities: deps.weatherMaxCities,
    citiesAsked: 0,
    caller,
    lifetime,
    reports: deps.reports,
    cachePurge: deps.cachePurge,
    events: deps.events,
    weatherWatch: deps.weatherWatch,
    // Through `this`: Yoga copies the context's fields onto the operation's own context object.
    renewLoaders(this: { loaders: Loaders }) {
      this.loaders = newLoaders();
    },
  };
}

/** Who hears of the request's statements: its answer's lifetime, and its Server-Timing and its trace when there are. */
function statementObserver(lifetime: AnswerLifetime, record: RecordTiming | undefined, trace: OperationTrace | undefined): StatementObserver {
  return (ms, event) => {
    lifetime.readsDatabase = true;
    record?.('db', ms);
    trace?.statement(ms, event);
  };
}

/**
 * The request's logger: pino's child with the request id, made on the first line logged. Making
 * one renders and redacts its bindings at once, about 5 µs, and most requests log nothing of
 * their own (the request log's line is written by its plugin).
 */
export function requestLogger(logger: Logger, requestId: string): RequestLogger {
  let child: Logger | undefined;
  const level =
    (name: keyof RequestLogger): LogFn =>
    (...args: Parameters<LogFn>) => {
      child ??= logger.child({ requestId });
      child[name](...args);
    };
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}
