import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

export interface MetricsOptions {
  /** The gateway's own registry (see metrics.ts): Yoga's metrics join the gatherql counters there. */
  registry: Registry;
  /** Where the Prometheus text is served. Default `/metrics`. */
  endpoint?: string;
}

/**
 * Serves `GET /metrics` (Prometheus text format) from the gateway's registry, and records
 * Yoga's request metrics into it: request counts, durations per phase, errors, and the
 * HTTP duration histogram. Never prom-client's global registry, so that two gateways in
 * one process keep apart. Labels are the operation type, phase, HTTP method and status.
 * Operation name, error path (built from aliases) and URL are left out: the client picks
 * them, so each would let any client grow the metric set without bound, and a GET URL
 * carries the query and its variables.
 *
 * Two of Yoga's defaults are off, for what they cost every request: the deprecated-field
 * counter walks each document with type information, and the schema deprecates nothing (turn
 * it on with the first `@deprecated`); the request-time summary repeats the duration
 * histogram, and a summary's quantiles cannot be added up across instances where a
 * histogram's buckets can.
 */
export function useMetrics(options: MetricsOptions): Plugin {
  return usePrometheus({
    registry: options.registry,
    endpoint: options.endpoint ?? '/metrics',
    labels: { operationName: false, path: false, url: false },
    metrics: { graphql_envelop_deprecated_field: false, graphql_envelop_request_time_summary: false },
  });
}
