import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';
import { operationOf, operationsOf, socketOperationOf } from '../operation-facts.js';
import { requestSlot } from '../request-slots.js';

export interface MetricsOptions {
  metrics: Pick<Metrics, 'registry' | 'httpRequests' | 'graphqlErrors'>;
  /** Where the Prometheus text is served. Default `/metrics`. */
  endpoint?: string;
}

/** The operation type label of a request: none until an operation runs, `batch` for several. */
type OperationLabel = 'none' | 'query' | 'mutation' | 'subscription' | 'batch';

function labelOf(request: Request): OperationLabel {
  let label: OperationLabel = 'none';
  let ran = 0;
  for (const operation of operationsOf(request)) {
    if (!operation.ran) continue;
    ran += 1;
    label = operation.type ?? 'none';
  }
  return ran > 1 ? 'batch' : label;
}

/**
 * Serves `GET /metrics` (Prometheus text format) from the gateway's registry, and records one
 * histogram observation per HTTP request (method, status, operation type) and a count of the
 * operations answered with GraphQL errors. Never prom-client's global registry, so that two
 * gateways in one process keep apart. Labels never carry what a client picks (operation name,
 * error path, URL): each would let any client grow the metric set without bound.
 *
 * Yoga's Prometheus plugin recorded more (a histogram per phase) and cost an executed request
 * about a tenth of its CPU (BENCHMARKS.md); phases are what traces show (docs/tracing.md).
 */
export function useMetrics(options: MetricsOptions): Plugin {
  const { registry, httpRequests, graphqlErrors } = options.metrics;
  const endpoint = options.endpoint ?? '/metrics';
  const started = requestSlot<number>('started');
  // Streams (@defer, subscriptions) are not counted: their errors come later, part by part.
  const countErrors = (result: unknown, operation: OperationLabel) => {
    if (result && typeof result === 'object' && !(Symbol.asyncIterator in result) && (result as ExecutionResult).errors?.length)
      graphqlErrors.inc({ operation });
  };

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === endpoint && request.method === 'GET') {
        return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })));
      }
      started.set(request, performance.now());
      return undefined;
    },
    // Over a WebSocket there is no HTTP request: the errors of each operation are counted as it ends.
    onExecute({ args }) {
      const context = args.contextValue as object;
      if (!socketOperationOf(context)) return;
      return { onExecuteDone: ({ result }) => countErrors(result, operationOf(context)?.type ?? 'none') };
    },
    onSubscribe({ args }) {
      const context = args.contextValue as object;
      if (!socketOperationOf(context)) return;
      return { onSubscribeResult: ({ result }) => countErrors(result, operationOf(context)?.type ?? 'none') };
    },
    onExecutionResult({ request, result }) {
      countErrors(result, labelOf(request));
    },
    onResponse({ request, response }) {
      const start = started.get(request);
      if (start === undefined) return;
      httpRequests.observe({ method: request.method, status: String(response.status), operation: labelOf(request) }, (performance.now() - start) / 1000);
    },
  };
}
