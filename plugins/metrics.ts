import { Counter, Registry } from 'prom-client';

/**
 * The gateway's own counters, in a registry per gateway (not prom-client's global one),
 * so that two gateways in one process, as in tests, never share counts.
 */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
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
    cacheEvents: new Counter({
      name: 'gatherql_cache_events_total',
      help: 'Look-ups in the upstream caches and the response cache: hit, miss, joined (waited on an identical call in flight) or stale',
      labelNames: ['cache', 'event'] as const,
      registers: [registry],
    }),
    dbQueries: new Counter({
      name: 'gatherql_db_queries_total',
      help: 'SQL statements sent to the database',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The current value of an unlabelled counter, or of one label combination. */
export async function counterValue(counter: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  const wanted = Object.entries(labels);
  return values
    .filter((value) => wanted.every(([name, expected]) => value.labels[name] === expected))
    .reduce((sum, value) => sum + value.value, 0);
}
