import cluster from 'node:cluster';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type Logger, pino } from 'pino';
import type { Config } from './config.js';
import type { GraphQLError } from 'graphql';
import { type Context, type ContextDeps, createContext, type RequestFacts } from './context.js';
import { type DatabaseHandle, openDatabase } from './db/connect.js';
import { prepareDatabase } from './db/prepare.js';
import { EXPOSED_HEADERS, executionPlugins, operationsPlugins, protocolPlugins } from './plugins/index.js';
import { type PluginName, withoutPlugins } from './plugins/plugin-names.js';
import { maskError, masksAsInternal } from './responses/mask-error.js';
import { createMetrics, type Metrics } from './metrics.js';
import { useExecution } from './plugins/use-execution.js';
import { responseStoreFor } from './responses/choose.js';
import { createInFlightAnswers } from './responses/in-flight.js';
import { QUERY_LIMIT_DEFAULTS } from './plugins/use-query-limits.js';
import { requestIdOf } from './plugins/use-request-id.js';
import { logUnexpectedError, yogaLogger } from './plugins/use-request-log.js';
import { timingOf } from './plugins/use-server-timing.js';
import { operationTraceOf, useTracing } from './plugins/use-tracing.js';
import { closeRedis, openRedis, type Redis } from './redis.js';
import { createSources, type Sources, type SourcesOptions } from './sources/index.js';
import { createBackgroundLane } from './sources/kit/background-lane.js';
import { createBackgroundThread } from './sources/kit/background-thread.js';
import { countriesRefreshLog, logUpstreams, offlineHint } from './upstream-notices.js';
import { tokenKey, userIdFromAuthorization } from './resolvers/auth.js';
import { createLoginThrottle } from './resolvers/login-throttle.js';
import { createPasswordHasher, type PasswordHasher } from './resolvers/password-hasher.js';
import { createKeptAnswers } from './http/kept-answers.js';
import { type NodeListener, nodeListener } from './http/node-listener.js';
import { connectionClientKey, createClientKey } from './limits/client-key.js';
import { createRateLimit } from './limits/rate-limit.js';
import { corsOptions } from './limits/cors.js';
import { createUpstreamBudget } from './limits/upstream-budget.js';
import { createStoreWarning } from './limits/store-warning.js';
import { createJobEngine, type JobEngineTuning } from './jobs/choose.js';
import type { JobEngine, JobObserver } from './jobs/engine.js';
import { CITY_REPORT_JOB, createReportRunner } from './resolvers/report-run.js';
import { registerSchedules } from './gateway-schedules.js';
import type { ReportSettings } from './resolvers/reports.js';
import { createCachePurge, listenForPurges } from './resolvers/cache-purge.js';
import type { GatewayTopics } from './resolvers/topics.js';
import { createEventBus, type EventBus } from './events/bus.js';
import { createWebSocketTransport, type WebSocketTransport } from './http/graphql-ws.js';
import { trustedSource } from './plugins/use-trusted-documents.js';
import { type SocketOperationContext, socketOperationOf } from './operation-facts.js';
import { createWeatherWatch, type WeatherWatch } from './resolvers/weather-watch.js';
import type { ReportRecord } from './db/reports.js';
import { schema } from './schema/index.js';
import { startTracing } from './tracing/start.js';
import type { Tracing } from './tracing/types.js';

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  /**
   * What node:http serves, behind the Host check (see nodeListener): answers the response
   * cache keeps straight from it (see createKeptAnswers), the rest through Yoga.
   */
  listener: NodeListener;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  database: DatabaseHandle;
  /** Every upstream API behind its cache, with the one HTTP client and the quotas; closed by close(). */
  sources: Sources;
  /** Password hashing under a bound (see HASHING_LIMITS). */
  passwords: PasswordHasher;
  /**
   * The process-wide Redis client when REDIS_URL is set, else null. Shared by everything that
   * keeps state across instances (rate limits, the shared cache tier); closed by close().
   * Commands fail fast while Redis is down: callers must fall back, never wait.
   */
  redis: Redis | null;
  /** OpenTelemetry tracing when an OTLP endpoint is configured, else null; flushed and stopped by close(). */
  tracing: Tracing | null;
  /** Background work: embedded on the database, or BullMQ on JOBS_REDIS_URL; drained by close(). */
  jobs: JobEngine;
  /** Events every instance hears (through Redis when REDIS_URL is set); closed by close(). */
  events: EventBus<GatewayTopics>;
  /** Live weather for weatherUpdates: the places watched here, kept fresh; closed by close(). */
  weatherWatch: WeatherWatch;
  /** The graphql-ws protocol, for the listener to hand its upgrades to (server.ts); closed by close(). */
  webSockets: WebSocketTransport;
  /**
   * The process is shutting down: /ready says 503 `draining` from now on, so that a load
   * balancer sends nothing new, and every open subscription (SSE or WebSocket) is completed,
   * so that its client reconnects elsewhere.
   */
  beginDraining(): void;
  /** Releases everything the gateway opened: pools, caches, connections. Idempotent. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** Seed demo data into an empty database. Default: only for the embedded `file:` database. */
  seed?: boolean;
  /** Replaces parts of the sources' settings: tests pass small backoffs, a clock, small caches. */
  sources?: Partial<Pick<SourcesOptions, 'policy' | 'batchCap' | 'now'>> & { cache?: Partial<SourcesOptions['cache']> };
  /** Replaces parts of the job engine's settings and the report chunk: tests make takeovers quick. */
  jobs?: Partial<JobEngineTuning> & { reportChunkSize?: number; backgroundInFlight?: number };
  /** Replaces parts of DEFAULT_TUNING: benchmarks switch one feature off at a time to measure it. */
  tuning?: Partial<GatewayTuning>;
  /** Plugins left out by name: the cost ledger measures each one's cost this way. Never for serving. */
  leaveOut?: readonly PluginName[];
}

/** Features that make the gateway faster without changing what it answers. */
export interface GatewayTuning {
  /**
   * How long, in ms, an anonymous answer may be served again (see useResponseCache); 0 turns
   * the response cache off. Kept where every write is seen (see responseStoreFor): in memory
   * on the embedded SQLite database with one worker, in Redis otherwise, nowhere without it.
   */
  responseTtlMs: number;
  /** Identical anonymous queries in flight share one execution (see useResponseCache); same store. */
  shareQueries: boolean;
  /** SQLite prepared statements kept for reuse; 0 prepares every statement anew. */
  statementCache: number;
  /** Queries run compiled by graphql-jit rather than by graphql-js (see useExecution). */
  compiledExecution: boolean;
}

export const DEFAULT_TUNING: GatewayTuning = {
  responseTtlMs: 1000,
  shareQueries: true,
  statementCache: 500,
  compiledExecution: true,
};

/** The query GraphiQL opens with; docs/accounts-and-posts.md shows it (test/graphiql.test.ts holds them equal). */
export const FIRST_QUERY = `# Welcome to gatherql. Press the play button to run this query.
query LatestPosts {
  posts(first: 5) {
    edges {
      node {
        title
        createdAt
        author { username displayName postCount }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Defence in depth: whatever a caller logs by mistake, these never reach the output.
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token', 'variables'],
      censor: '[redacted]',
    },
  });
}

/** Builds a gateway: process-wide state is made here, once, and closed by close(). */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config);
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const metrics = createMetrics();
  const passwords = createPasswordHasher();
  const redis = config.redisUrl ? await openRedis(config.redisUrl, logger) : null;
  // The workers of WORKERS > 1 without Redis count in their primary (http/workers.ts): a client
  // has one budget and a username one throttle, whichever worker takes each connection.
  const inPrimary = !redis && config.workers > 1 && cluster.isWorker;
  const now = options.sources?.now ?? Date.now;
  // Where answers are kept and shared (see responseStoreFor), before the database whose writes forget them.
  const responses = tuning.responseTtlMs > 0 || tuning.shareQueries ? responseStoreFor(config, redis, now, logger) : null;
  const database = openDatabase(config.databaseUrl, {
    statementCache: tuning.statementCache,
    onQuery: (_event, origin) => metrics.dbQueries.inc({ origin }),
    // Kept answers read users, profiles and posts; reports and jobs are never in one.
    onWrite: (table) => {
      if (table === null || !BACKGROUND_TABLES.has(table)) responses?.invalidate();
    },
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost; the pool will reconnect'),
  });

  try {
    await prepareDatabase(database.db, { seed: options.seed ?? database.embeddedFile, hashPassword: passwords.hashInTurn, logger });
  } catch (error) {
    await database.close();
    if (redis) await closeRedis(redis);
    throw error;
  }

  // Loaded only when configured: with tracing off no OpenTelemetry module is imported.
  const tracing = config.tracing ? await startTracing(config.tracing, { logger, dialect: database.dialect }) : null;
  const sources = createSources({
    urls: { geocoding: config.geocodingUrl, forecast: config.forecastUrl, airQuality: config.airQualityUrl, countries: config.restCountriesUrl },
    timeoutMs: config.upstreamTimeoutMs,
    ttl: { weatherMs: config.weatherCacheTtlS * 1000, airQualityMs: config.airQualityCacheTtlS * 1000, countryMs: config.countryCacheTtlS * 1000 },
    quotas: { openMeteo: config.openMeteoQuota, restCountries: config.restCountriesQuota },
    restCountriesApiKey: config.restCountriesApiKey,
    // With Redis, what one instance fetched serves the others too, and the quotas are counted once for all.
    redis,
    observers: upstreamObservers(metrics, logger),
    ...options.sources,
    cache: { staleWhileRevalidateMs: config.staleWhileRevalidateS * 1000, ...(tracing && { tracer: tracing.background }), ...options.sources?.cache },
  });
  metrics.watchQuotas(sources.quotas);
  logUpstreams(logger, config);
  const events = await createEventBus<GatewayTopics>({
    redisUrl: config.redisUrl,
    onError: busWarning(logger),
    onPublish: (topic) => metrics.eventsPublished.inc({ topic }),
  });
  const weatherWatch = createWeatherWatch({ weather: sources.weather, events, onPlaces: (count) => metrics.watchedPlaces.set(count), now });
  const reportChanged = (report: ReportRecord) => events.publish('report-updated', report.id, report);
  const cachePurge = createCachePurge({
    caches: sources.caches,
    places: sources.places,
    // A store in Redis is every instance's: the purging instance empties it for all. An instance
    // that hears of it still moves the store to a new generation once its own entries are gone:
    // an answer it made in between, from an entry the purge was for, is then found by nobody.
    dropAnswers: async (everywhere) => {
      if (!responses) return 0;
      if (everywhere || !responses.shared) return responses.purge();
      responses.invalidate();
      await responses.settled();
      return 0;
    },
    announce: (purge) => events.publish('caches-purged', purge),
    onDropped: (cache, count) => metrics.cachePurged.inc({ cache }, count),
  });
  const purgesHeard = listenForPurges({
    subscribe: () => events.subscribe('caches-purged'),
    cachePurge,
    onError: (error, what) => logger.warn({ err: error }, `cache purge: ${what}`),
  });
  // Report runs send their upstream attempts from a thread of their own (see BackgroundThread).
  const backgroundThread = createBackgroundThread();
  const jobs = await createJobEngine({
    redisUrl: config.jobsRedisUrl,
    database,
    workers: config.workers,
    observer: jobObserver(metrics, logger),
    onWarning: (message) => logger.warn(message),
    now,
    ...(options.jobs && { tuning: options.jobs }),
  });
  jobs.handle(
    CITY_REPORT_JOB,
    createReportRunner({
      db: database.background,
      sources,
      quotaShare: config.reportQuotaShare,
      lane: createBackgroundLane(options.jobs?.backgroundInFlight, backgroundThread),
      now,
      onChange: reportChanged,
      ...(options.jobs?.reportChunkSize && { chunkSize: options.jobs.reportChunkSize }),
      onError: (error, reportId) => logger.warn({ err: error, reportId }, 'city report: a run failed; it goes on from its last checkpoint'),
    }),
  );
  registerSchedules(jobs, { database, sources, config, now });
  metrics.watchJobs(jobs);
  const reports: ReportSettings = {
    jobs,
    dialect: database.dialect,
    maxCities: config.reportMaxCities,
    activePerUser: config.reportsActivePerUser,
    onChange: reportChanged,
    onEnqueueError: (error, reportId) =>
      logger.warn(
        { error: (error as Error).message, reportId },
        'city report: its job could not be enqueued now; the repair schedule enqueues it within a minute',
      ),
    onCancelError: (error, reportId) =>
      logger.warn(
        { error: (error as Error).message, reportId },
        'city report: cancelled, but its job engine could not be told now; its run stops at its next check',
      ),
  };
  const deps: ContextDeps = {
    database,
    logger,
    tokenKey: tokenKey(config.authSecret),
    sources,
    weatherMaxCities: config.weatherMaxCities,
    requestDeadlineMs: config.requestDeadlineMs,
    passwords,
    loginThrottle: createLoginThrottle({ redis, inPrimary, logger }),
    upstreamBudget: createUpstreamBudget(config.upstreamBudgetPerMinute, redis, logger, inPrimary),
    reports,
    cachePurge,
    events,
    weatherWatch,
  };
  const rateLimit = config.rateLimitPerMinute > 0 ? createRateLimit({ limit: config.rateLimitPerMinute, redis, inPrimary, logger }) : null;
  const clientKeyOptions = { userIdOf: (authorization: string | null) => userIdFromAuthorization(deps.tokenKey, authorization), trustProxy: config.trustProxy };
  const clientKey = createClientKey(clientKeyOptions);
  let draining = false;
  // Aborted when draining begins: the subscriptions plugin then completes every open stream.
  const drain = new AbortController();
  // Identical queries in flight share one execution, whether they wait in Yoga or in the lane.
  const flights = tuning.shareQueries ? createInFlightAnswers() : undefined;
  // With tracing, every request goes through Yoga, so that each has its span.
  const keptAnswers =
    responses && !tracing
      ? createKeptAnswers({
          store: responses,
          ...(flights && { flights }),
          endpoint: '/graphql',
          now,
          logger,
          metrics,
          rateLimit,
          trustProxy: config.trustProxy,
        })
      : null;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    context: (initial) => {
      const socket = socketOperationOf(initial);
      const { request } = initial;
      // The client's key is looked up only when something counts by it (a logIn, an upstream budget).
      const facts: RequestFacts = socket
        ? {
            requestId: socket.requestId,
            authorization: socket.authorization,
            clientKey: once(() => connectionClientKey(clientKeyOptions, socket.authorization, (initial as unknown as SocketOperationContext).req)),
          }
        : {
            requestId: requestIdOf(request),
            authorization: request.headers.get('authorization'),
            recordTiming: timingOf(request),
            clientKey: () => clientKey(request, initial),
            ...(tracing && { trace: operationTraceOf(initial) }),
          };
      return createContext(deps, facts).catch((error: unknown) => {
        // Logged here, where the request is known; Yoga then masks it and does not log it again.
        if (masksAsInternal(error)) logUnexpectedError(logger, error, facts.requestId);
        throw error;
      });
    },
    maskedErrors: { maskError },
    // Served by useGraphiQLPage instead: rendered once, not per view (see there).
    graphiql: false,
    logging: yogaLogger(logger),
    // The body limit is useQueryLimits' (it answers with the contract's error codes).
    maxRequestBodySize: false,
    batching: { limit: QUERY_LIMIT_DEFAULTS.maxBatch },
    cors: corsOptions(config, EXPOSED_HEADERS),
    plugins: withoutPlugins(
      [
        // First, so that the request's span covers every other plugin's work.
        ...(tracing ? [useTracing({ tracing })] : []),
        ...operationsPlugins({
          config,
          logger,
          metrics,
          database,
          redis,
          clientKey,
          rateLimit,
          draining: () => draining,
          drainSignal: drain.signal,
          graphiql: { title: 'gatherql', defaultQuery: FIRST_QUERY },
        }),
        // Trusted documents and @defer/@stream: after the limits, before the caches (see there).
        ...protocolPlugins({ config, logger }),
        useExecution({ compileQueries: tuning.compiledExecution, onPlan: (execution) => metrics.executionPlans.inc({ execution }) }),
        ...executionPlugins({
          responses,
          responseTtlMs: tuning.responseTtlMs,
          shareQueries: tuning.shareQueries,
          provesViewer: (authorization) =>
            userIdFromAuthorization(deps.tokenKey, authorization).then(
              () => true,
              () => false,
            ),
          now,
          ...(flights && { flights }),
          ...(keptAnswers && { onResponseKey: keptAnswers.learn, joinedEarlier: keptAnswers.joinedEarlier }),
          onCacheEvent: (event) => metrics.cacheEvents.inc({ cache: 'responses', event }),
        }),
      ],
      options.leaveOut,
    ),
  });

  const webSockets = createWebSocketTransport({
    yoga,
    verifyAuthorization: (authorization) => userIdFromAuthorization(deps.tokenKey, authorization),
    maskError: (error, requestId) => {
      if (masksAsInternal(error)) logUnexpectedError(logger, error, requestId);
      return maskError(error, 'Unexpected error.') as GraphQLError;
    },
    maxPayloadBytes: QUERY_LIMIT_DEFAULTS.maxBodyBytes,
    ...(config.persistedDocuments.mode !== 'off' && {
      sourceOf: trustedSource({ mode: config.persistedDocuments.mode, documents: config.persistedDocuments.documents ?? new Map() }),
    }),
  });

  const beginDraining = () => {
    draining = true;
    drain.abort();
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      beginDraining();
      await webSockets.close();
      weatherWatch.close();
      await yoga.dispose();
      // Running jobs give their work back before the sources and the database they use go.
      await jobs.close();
      await backgroundThread.close();
      await purgesHeard.close();
      await events.close();
      sources.close();
      if (redis) await closeRedis(redis);
      await database.close();
      // Last, so that the spans of everything above are sent too.
      await tracing?.shutdown();
    })());

  try {
    await jobs.start();
  } catch (error) {
    await close();
    throw error;
  }
  const listener = nodeListener(keptAnswers ? keptAnswers.listener(yoga) : yoga, yoga.graphqlEndpoint);
  return {
    yoga,
    listener,
    config,
    logger,
    metrics,
    database,
    sources,
    passwords,
    redis,
    tracing,
    jobs,
    events,
    weatherWatch,
    webSockets,
    beginDraining,
    close,
  };
}

/** Says that the event bus lost Redis, at most once a minute: it reconnects by itself. */
function busWarning(logger: Logger): (error: Error) => void {
  const warning = createStoreWarning({
    logger,
    intervalMs: 60_000,
    down: 'event bus: Redis is unreachable; events published meanwhile reach this instance alone, or none',
    up: 'event bus: Redis answers again',
  });
  return (error) => warning.failed(error);
}

/** `make`'s promise, made on the first call and shared by the later ones. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** Tables only background work writes: a write there changes no kept answer. */
const BACKGROUND_TABLES = new Set(['jobs', 'schedules', 'city_reports', 'city_report_rows']);

/** What the metrics and the log hear of background work. */
function jobObserver(metrics: Metrics, logger: Logger): JobObserver {
  // The engine retries its store every second while the database (or Redis) is away.
  const store = createStoreWarning({
    logger,
    intervalMs: 30_000,
    down: 'background work: the job store is unreachable; jobs wait and go on once it is back',
    up: 'background work: the job store answers again',
  });
  return {
    onRun: (kind, outcome, durationMs) => {
      store.succeeded();
      metrics.jobRuns.inc({ kind, outcome });
      metrics.jobDuration.observe({ kind }, durationMs / 1000);
    },
    onError: (error, context) => {
      if ('step' in context) store.failed(error);
      else logger.warn({ err: error, ...context }, 'background work: a job or schedule failed');
    },
  };
}

/** What the metrics and the log hear of the upstreams. */
function upstreamObservers(metrics: Metrics, logger: Logger): SourcesOptions['observers'] {
  let lastQuotaWarning = 0;
  const firstAttempt = offlineHint(logger);
  return {
    onAttempt: (attempt) => {
      metrics.upstreamRequests.inc({ source: attempt.source, outcome: attempt.outcome });
      firstAttempt(attempt);
    },
    onCountriesRefresh: countriesRefreshLog(logger, metrics),
    onHedge: (source) => metrics.upstreamHedges.inc({ source }),
    onCacheEvent: (cache, event) => metrics.cacheEvents.inc({ cache, event }),
    onCircuitChange: (change) =>
      logger[change.state === 'open' ? 'warn' : 'info'](change, `upstream circuit ${change.state}: ${change.source} (${change.host})`),
    onQuotaStoreError: (error) => {
      // Once a minute at most: every upstream call asks the quota.
      if (Date.now() - lastQuotaWarning < 60_000) return;
      lastQuotaWarning = Date.now();
      logger.warn({ error: error.message }, 'upstream quota: Redis is unreachable; counting in this instance alone meanwhile');
    },
  };
}
