import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobEngine } from './jobs/engine.js';
import type { Quota } from './sources/kit/quota.js';

/**
 * The gateway's own counters, in a registry per gateway (not prom-client's global one),
 * so that two gateways in one process, as in tests, never share counts.
 */
export function createMetrics() {
  const registry = new Registry();
  const quotas: Quota[] = [];
  let jobs: JobEngine | null = null;
  return {
    registry,
    upstreamQuotaRemaining: new Gauge({
      name: 'gatherql_upstream_quota_remaining',
      help: "Units left of the gateway's own budget for an upstream, per window (with Redis, of the budget all instances share)",
      labelNames: ['upstream', 'window'] as const,
      registers: [registry],
      // Read when scraped: the counts live with the quota (maybe in Redis), not here.
      async collect() {
        for (const quota of quotas) {
          for (const [window, left] of Object.entries(await quota.remaining())) this.set({ upstream: quota.name, window }, left);
        }
      },
    }),
    /** Reports these budgets in gatherql_upstream_quota_remaining. */
    watchQuotas(watched: readonly Quota[]) {
      quotas.push(...watched);
    },
    upstreamRequests: new Counter({
      name: 'gatherql_upstream_requests_total',
      help: 'HTTP attempts sent to an upstream API, by source and outcome',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    upstreamHedges: new Counter({
      name: 'gatherql_upstream_hedges_total',
      help: 'Second attempts sent because a call was slower than most (hedged calls), by source; their attempts count in gatherql_upstream_requests_total too',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    countryRefreshes: new Counter({
      name: 'gatherql_country_refreshes_total',
      help: 'Refreshes of the countries dataset, by result: loaded, shared (another instance loaded it), current (nothing to do), key_refused, quota_frozen, wrong_url, demo_key or failed',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    cacheEvents: new Counter({
      name: 'gatherql_cache_events_total',
      help: 'Look-ups in the upstream caches and the response cache: hit, miss, joined (waited on an identical call in flight) or stale',
      labelNames: ['cache', 'event'] as const,
      registers: [registry],
    }),
    cachePurged: new Counter({
      name: 'gatherql_cache_purged_total',
      help: 'Entries dropped from this instance by purgeCaches, here or on another instance, per cache (an upstream cache, or responses)',
      labelNames: ['cache'] as const,
      registers: [registry],
    }),
    executionPlans: new Counter({
      name: 'gatherql_execution_plans_total',
      help: "Operations seen for the first time, by how they run: compiled (graphql-jit), graphql-js, or incremental (@defer/@stream, Yoga's executor)",
      labelNames: ['execution'] as const,
      registers: [registry],
    }),
    httpRequests: new Histogram({
      name: 'gatherql_http_request_duration_seconds',
      help: 'HTTP requests by method, status and operation type (query, mutation, subscription, batch, or none: probes, GraphiQL, refused requests), until the response headers',
      labelNames: ['method', 'status', 'operation'] as const,
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'gatherql_graphql_errors_total',
      help: 'Operations answered with GraphQL errors (a partial or no answer), by operation type; errors as data are answers, not errors',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    dbQueries: new Counter({
      name: 'gatherql_db_queries_total',
      help: 'SQL statements sent to the database, by who sent them: a request, or the background work (job engine, reports)',
      labelNames: ['origin'] as const,
      registers: [registry],
    }),
    jobs: new Gauge({
      name: 'gatherql_jobs',
      help: 'Jobs of the job engine per state (queued, running, delayed, succeeded, failed); with BullMQ or PostgreSQL, of every instance',
      labelNames: ['state'] as const,
      registers: [registry],
      // Read when scraped: the jobs live in the engine's store.
      async collect() {
        if (!jobs) return;
        try {
          for (const [state, count] of Object.entries(await jobs.counts())) this.set({ state }, count);
        } catch {
          // The store is away: the gauge keeps its last values, and the engine's errors are logged.
        }
      },
    }),
    /** Reports the job counts of this engine in gatherql_jobs. */
    watchJobs(engine: JobEngine) {
      jobs = engine;
    },
    jobRuns: new Counter<'kind' | 'outcome'>({
      name: 'gatherql_job_runs_total',
      help: 'Runs of background jobs by kind and outcome: succeeded, failed, retried, waiting (paused for an upstream quota), cancelled, drained (given back at shutdown)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    subscriptionsOpen: new Gauge({
      name: 'gatherql_subscriptions_open',
      help: 'Subscriptions open on this instance, over SSE and WebSocket, by field',
      labelNames: ['field'] as const,
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'gatherql_events_published_total',
      help: 'Events this instance published on the event bus, by topic (every instance hears each one)',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    eventsDelivered: new Counter({
      name: 'gatherql_subscription_events_total',
      help: "Events handed to subscribers' connections on this instance, by field (one per subscriber that receives it)",
      labelNames: ['field'] as const,
      registers: [registry],
    }),
    subscriptionsDropped: new Counter({
      name: 'gatherql_subscriptions_dropped_total',
      help: 'Subscriptions ended because their client did not read its events (more waited than a subscriber may have), by field',
      labelNames: ['field'] as const,
      registers: [registry],
    }),
    watchedPlaces: new Gauge({
      name: 'gatherql_weather_watched_places',
      help: 'Places whose weather this instance keeps fresh for the subscribers of weatherUpdates',
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'gatherql_job_duration_seconds',
      help: 'How long runs of background jobs took, by kind',
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The current value of an unlabelled counter or gauge, or the sum over the label combinations that match `labels`. */
export async function counterValue(counter: Counter<string> | Gauge<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  const wanted = Object.entries(labels);
  return values.filter((value) => wanted.every(([name, expected]) => value.labels[name] === expected)).reduce((sum, value) => sum + value.value, 0);
}
