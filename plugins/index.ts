import type { Plugin } from 'graphql-yoga';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/connect.js';
import type { Redis } from '../redis.js';
import type { ClientKeyFn } from '../limits/client-key.js';
import type { RateLimit } from '../limits/rate-limit.js';
import type { Metrics } from '../metrics.js';
import { type GraphiQLPageOptions, useGraphiQLPage } from './use-graphiql-page.js';
import { useIncrementalDelivery } from './use-incremental-delivery.js';
import { useHttpCaching } from './use-http-caching.js';
import { useJsonParams } from './use-json-params.js';
import { useMetrics } from './use-metrics.js';
import type { ResponseStore } from '../responses/store.js';
import { useResponseCache } from './use-response-cache.js';
import { useTrustedDocuments } from './use-trusted-documents.js';
import { useQueryLimits } from './use-query-limits.js';
import { useRateLimit } from './use-rate-limit.js';
import { type ReadinessCheck, useReadiness } from './use-readiness.js';
import { useRequestId } from './use-request-id.js';
import { useRequestLog } from './use-request-log.js';
import { useServerTiming } from './use-server-timing.js';
import { useOperationFacts } from './use-operation-facts.js';
import { useSubscriptions } from './use-subscriptions.js';
import { SUBSCRIBER_BUFFER } from '../events/bus.js';
import { useUpstreamCost } from './use-upstream-cost.js';
import { named } from './plugin-names.js';
import type { InFlightAnswers, SharedAnswer } from '../responses/in-flight.js';

/** Response headers that browser apps on other origins may read (CORS hides all others from their scripts). */
export const EXPOSED_HEADERS = ['X-Request-Id', 'X-Processing-Time', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/** What the operations plugins are built from; all of it made once by the gateway. */
export interface OperationsDeps {
  config: Pick<Config, 'subscriptionsPerClient' | 'weatherMaxCities'>;
  logger: Logger;
  metrics: Metrics;
  database: DatabaseHandle;
  redis: Redis | null;
  /** Names the client of each request (rate limit, request log). */
  clientKey: ClientKeyFn;
  /** RATE_LIMIT_PER_MINUTE's budget, shared with the lane of kept answers; null when off. */
  rateLimit: RateLimit | null;
  /** True once the process is shutting down (/ready then says 503). */
  draining: () => boolean;
  /** GraphiQL's page, served to a browser's GET of the GraphQL endpoint. */
  graphiql: GraphiQLPageOptions;
  /** Aborted when the process begins to shut down: open subscriptions are completed then. */
  drainSignal: AbortSignal;
}

/**
 * The gateway's operations and protection plugins, in the order they must run: response
 * hooks run in list order (what each operation is recorded first; id and timing headers
 * next, so the log line sees the final response); probes, metrics and GraphiQL's page answer
 * before the rate limit, which counts operations (a page view is none), and the rate limit
 * refuses before the subscription limits count.
 */
export function operationsPlugins(deps: OperationsDeps): Plugin[] {
  const { clientKey } = deps;
  const checks: Record<string, ReadinessCheck> = { database: () => sql`select 1`.execute(deps.database.db) };
  const { redis } = deps;
  if (redis) checks.redis = () => redis.ping();
  return [
    named('operation-facts', useOperationFacts()),
    named('request-id', useRequestId()),
    named('server-timing', useServerTiming()),
    named('request-log', useRequestLog({ logger: deps.logger, clientKey })),
    named('readiness', useReadiness({ checks, logger: deps.logger, draining: deps.draining })),
    named('metrics', useMetrics({ metrics: deps.metrics })),
    named('graphiql-page', useGraphiQLPage(deps.graphiql)),
    named('rate-limit', useRateLimit({ rateLimit: deps.rateLimit, clientKey })),
    named(
      'subscriptions',
      useSubscriptions({
        perClient: deps.config.subscriptionsPerClient,
        // A subscriber of weatherUpdates gets one event per city at once.
        buffer: SUBSCRIBER_BUFFER + deps.config.weatherMaxCities,
        metrics: deps.metrics,
        draining: deps.drainSignal,
      }),
    ),
    named('query-limits', useQueryLimits()),
    named('json-params', useJsonParams()),
    named('upstream-cost', useUpstreamCost()),
  ];
}

/** What the protocol plugins are built from. */
export interface ProtocolDeps {
  config: Pick<Config, 'persistedDocuments'>;
  logger: Logger;
}

/**
 * Plugins that decide how an operation arrives and how its answer leaves: after the
 * operations plugins, so that rate limits, limits and logs see every request as it came (an
 * unknown document id counts against the rate limit like any request); before the execution
 * plugins, whose onParams and onExecutionResult must see the document that is run (a trusted
 * document's text, when the request named it by id) and the answer as the client gets it.
 */
export function protocolPlugins(deps: ProtocolDeps): Plugin[] {
  const plugins: Plugin[] = [];
  const { mode, path, documents } = deps.config.persistedDocuments;
  if (mode !== 'off') {
    if (!documents)
      deps.logger.warn({ path }, 'no trusted documents manifest at PERSISTED_DOCUMENTS_PATH: every document id is unknown (npm run codegen writes it)');
    plugins.push(named('trusted-documents', useTrustedDocuments({ mode, documents: documents ?? new Map() })));
  }
  plugins.push(named('incremental-delivery', useIncrementalDelivery()));
  return plugins;
}

/** What the plugins that make execution cheaper are built from. */
export interface ExecutionDeps {
  /** Where answers that are the same for everyone are kept and shared; null turns both off. */
  responses: ResponseStore | null;
  /** Longest time an answer is served again, in ms; 0 keeps none. Also the longest an HTTP cache may keep SQL rows. */
  responseTtlMs: number;
  /** Identical queries in flight share one execution. */
  shareQueries: boolean;
  /** True when an Authorization header proves a viewer: a signed-in request may then share answers (see useResponseCache). */
  provesViewer: (authorization: string) => Promise<boolean>;
  /** Told of each request's response-cache key (see http/kept-answers.ts). */
  onResponseKey?: (key: string, serverContext: unknown) => void;
  /** The gateway's executions in flight, which the lane of kept answers joins too. */
  flights?: InFlightAnswers;
  /** An answer the lane of kept answers waited for on a request's behalf (see useResponseCache). */
  joinedEarlier?: (serverContext: unknown) => SharedAnswer | undefined;
  /** The clock the weather caches' freshness is measured on. */
  now: () => number;
  /** Counts answers served from the store (`hit`), executed (`miss`) and shared in flight (`joined`). */
  onCacheEvent?: (event: 'hit' | 'miss' | 'joined') => void;
}

/**
 * Plugins that make execution cheaper without changing any answer: HTTP caches told what they
 * may keep, and the response cache. They come after the operations plugins, so that rate
 * limits, limits and logs apply to every request, cached, shared or not.
 */
export function executionPlugins(deps: ExecutionDeps): Plugin[] {
  const plugins = [named('http-caching', useHttpCaching({ responseTtlMs: deps.responseTtlMs, now: deps.now }))];
  if (!deps.responses || (deps.responseTtlMs <= 0 && !deps.shareQueries)) return plugins;
  plugins.push(
    useResponseCache({
      store: deps.responses,
      responseTtlMs: deps.responseTtlMs,
      share: deps.shareQueries,
      provesViewer: deps.provesViewer,
      now: deps.now,
      ...(deps.onResponseKey && { onKey: deps.onResponseKey }),
      ...(deps.flights && { flights: deps.flights }),
      ...(deps.joinedEarlier && { joinedEarlier: deps.joinedEarlier }),
      ...(deps.onCacheEvent && { onEvent: deps.onCacheEvent }),
    }),
  );
  return plugins;
}
