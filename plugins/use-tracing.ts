import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationTrace, PhaseSpan, RequestTrace, Tracing } from '../tracing/types.js';
import { requestIdOf } from './use-request-id.js';
import { requestSlot } from '../request-slots.js';

export interface TracingPluginOptions {
  /** The gateway's tracing (see tracing/start.ts); this plugin is left out when tracing is off. */
  tracing: Tracing;
  /** Only requests to this path are traced, not probes and scrapes. Default `/graphql`. */
  path?: string;
}

const requests = requestSlot<RequestTrace>('request trace');
// Keyed by the GraphQL context each operation starts with (Yoga's initial context, which is
// also the context its parse, validate and execute phases see): a batch has one per operation.
const operations = new WeakMap<object, OperationTrace>();

/**
 * The trace of the operation whose GraphQL context starts as `initial`: what its per-request
 * context parents its look-ups and statements on. Undefined for a request that is not traced.
 */
export function operationTraceOf(initial: { request?: Request }): OperationTrace | undefined {
  let operation = operations.get(initial);
  if (operation) return operation;
  const request = initial.request && requests.get(initial.request);
  if (!request) return undefined;
  operation = request.operation();
  operations.set(initial, operation);
  return operation;
}

/**
 * A span per request to the GraphQL endpoint, continuing the trace of its `traceparent`, with
 * one span per GraphQL phase that matters (parse, validate, execute). What the operation does
 * (look-ups, upstream attempts, SQL) is traced by its context (see operationTraceOf).
 */
export function useTracing(options: TracingPluginOptions): Plugin {
  const path = options.path ?? '/graphql';
  return {
    // The earliest hook: its span covers the work of every other plugin.
    instrumentation: {
      request({ request }, handle) {
        if (pathOf(request.url) === path) requests.set(request, options.tracing.request(request));
        return handle();
      },
      parse({ context }, parse) {
        within(requestOf(context)?.phase('graphql.parse'), parse);
      },
      validate({ context }, validate) {
        within(requestOf(context)?.phase('graphql.validate'), validate);
      },
      execute({ context }, execute) {
        const span = operationTraceOf(context)?.execute();
        if (!span) return execute();
        let running: ReturnType<typeof execute>;
        try {
          running = execute();
        } catch (error) {
          span.end(error);
          throw error;
        }
        // Yoga's own promises may be synchronous look-alikes: anything with a `then` is waited for.
        if (!isThenable(running)) return span.end();
        return running.then(
          () => span.end(),
          (error: unknown) => {
            span.end(error);
            throw error;
          },
        ) as Promise<void>;
      },
    },
    onExecute({ args }) {
      const operation = operationTraceOf(args.contextValue as { request?: Request });
      if (!operation) return;
      const ast = getOperationAST(args.document, args.operationName ?? undefined);
      if (ast) operation.identify(ast.operation, ast.name?.value ?? null);
    },
    onResponse({ request, response }) {
      requests.get(request)?.end({ status: response.status, requestId: requestIdOf(request) });
    },
  };
}

function requestOf(context: { request?: Request }): RequestTrace | undefined {
  return context.request && requests.get(context.request);
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === 'function';
}

/** Runs a synchronous phase inside its span. */
function within(span: PhaseSpan | undefined, run: () => void): void {
  if (!span) {
    run();
    return;
  }
  try {
    run();
  } catch (error) {
    span.end(error);
    throw error;
  }
  span.end();
}

/** The path of an absolute URL, without building a URL object. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.indexOf('?', start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}
