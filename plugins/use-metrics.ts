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
 */
export function useMetrics(options: MetricsOptions): Plugin {
  return usePrometheus({
    registry: options.registry,
    endpoint: options.endpoint ?? '/metrics',
    labels: { operationName: false, path: false, url: false },
  });
}
