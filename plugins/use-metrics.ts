import { type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';

export interface MetricsOptions {
  metrics: Pick<Metrics, 'registry' | 'httpRequests' | 'graphqlErrors'>;
  /** Where the Prometheus text is served. Default `/metrics`. */
  endpoint?: string;
}

/** The operation type label of a request: none until an operation runs, `batch` for several. */
type OperationLabel = 'none' | 'query' | 'mutation' | 'subscription' | 'batch';

// Requests are unique to one gateway: a module-wide map serves every gateway in the process.
const operations = new WeakMap<Request, OperationLabel>();

/** Counts `request` as one more operation of `type`: for a plugin that answers one without executing it (the response cache). */
export function countOperation(request: Request, type: Exclude<OperationLabel, 'none' | 'batch'>): void {
  operations.set(request, operations.has(request) ? 'batch' : type);
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
  const started = new WeakMap<Request, number>();

  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === endpoint && request.method === 'GET') {
        return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })));
      }
      started.set(request, performance.now());
      return undefined;
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
      // A walk of the document's definitions, as cheap as a look-up in a cache of it would be.
      const type = getOperationAST(args.document, args.operationName)?.operation;
      if (type) countOperation(request, type);
    },
    onExecutionResult({ request, result }) {
      if (result && !(Symbol.asyncIterator in result) && (result as ExecutionResult).errors?.length)
        graphqlErrors.inc({ operation: operations.get(request) ?? 'none' });
    },
    onResponse({ request, response }) {
      const start = started.get(request);
      if (start === undefined) return;
      httpRequests.observe(
        { method: request.method, status: String(response.status), operation: operations.get(request) ?? 'none' },
        (performance.now() - start) / 1000,
      );
    },
  };
}
