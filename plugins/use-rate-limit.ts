import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type BudgetState, createBudget } from '../limits/budget.js';
import { createStoreWarning } from '../limits/store-warning.js';
import type { Redis } from '../redis.js';
import type { ClientKeyFn } from '../limits/client-key.js';
import { socketOperationOf } from '../operation-facts.js';

export interface RateLimitOptions {
  /** Operations per client per window; 0 turns rate limiting off. */
  limit: number;
  /** Names the client whose budget a request spends (see client-key.ts). */
  clientKey: ClientKeyFn;
  /** Window length in seconds; a window starts with a client's first request. Default 60. */
  windowSeconds?: number;
  /** Keep the counters in Redis, so that every gateway on it shares one budget per client. Default: in process memory. */
  redis?: Redis | null;
  /** Prefix of the Redis keys. Default `gatherql:rate`. */
  keyPrefix?: string;
  /** Receives the warning while the Redis store is unreachable, and the all-clear. */
  logger?: Logger;
  /** The "serving without a limit" warning is logged at most once per this interval. Default 30 000 ms. */
  warnIntervalMs?: number;
}

const spent = new WeakMap<Request, BudgetState>();

/**
 * Limits GraphQL operations per client: a request to the GraphQL endpoint spends one point
 * before anything else runs, and a batch of n operations n points once it is parsed (the
 * batch cap bounds n). Over budget: HTTP 429 with Retry-After and a GraphQL error with code
 * RATE_LIMITED. Every counted response carries RateLimit-Limit, RateLimit-Remaining and
 * RateLimit-Reset (seconds). /health, /ready and /metrics are free. An operation over a
 * WebSocket spends a point from the same budget when it starts, and is refused with
 * RATE_LIMITED over budget.
 *
 * When the Redis store fails, the request is served unlimited (fail open): an outage of the
 * limiter must not become an outage of the API. That is logged (at most every
 * `warnIntervalMs`), and the limit applies again as soon as Redis answers.
 */
export function useRateLimit(options: RateLimitOptions): Plugin {
  if (options.limit <= 0) return {};
  const points = options.limit;
  const duration = options.windowSeconds ?? 60;
  const warning = createStoreWarning({
    logger: options.logger,
    intervalMs: options.warnIntervalMs ?? 30_000,
    down: 'rate limit store unreachable: serving requests without a rate limit (fail open) until it is back',
    up: 'rate limit store reachable again: limits apply',
  });
  const budget = createBudget({
    points,
    durationSeconds: duration,
    redis: options.redis,
    keyPrefix: options.keyPrefix ?? 'gatherql:rate',
    onStoreError: warning.failed,
  });
  const tooMany = (state: BudgetState) => {
    const message = `Too many requests: the limit is ${points} operations per ${duration} s per client; retry in ${state.resetSeconds} s`;
    return { message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: state.resetSeconds } };
  };
  let graphqlEndpoint = '/graphql';
  /** An operation over a WebSocket has no request to count in onRequest: it spends its point as it starts to run. */
  const spendForSocket = (context: object, refuse: (result: { errors: GraphQLError[] }) => void) => {
    if (!socketOperationOf(context)) return;
    const clientKey = (context as { clientKey?: () => Promise<string> }).clientKey;
    return (async () => {
      const state = await budget.spend(clientKey ? await clientKey() : 'ip:unknown');
      if (!state.counted) return;
      if (state.granted) return warning.succeeded();
      const { message, extensions } = tooMany(state);
      refuse({ errors: [createGraphQLError(message, { extensions })] });
    })();
  };

  return {
    onYogaInit({ yoga }) {
      graphqlEndpoint = yoga.graphqlEndpoint;
    },
    async onRequest({ request, url, serverContext, fetchAPI, endResponse }) {
      if (url.pathname !== graphqlEndpoint) return;
      const state = await budget.spend(await options.clientKey(request, serverContext));
      // Uncounted (the store failed): served without a limit, and without RateLimit headers.
      if (!state.counted) return;
      spent.set(request, state);
      if (state.granted) return warning.succeeded();
      const json = (request.headers.get('accept') ?? '').includes('application/graphql-response+json')
        ? 'application/graphql-response+json'
        : 'application/json';
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [tooMany(state)] }), {
          status: 429,
          headers: { 'content-type': `${json}; charset=utf-8`, 'retry-after': String(state.resetSeconds) },
        }),
      );
    },
    onRequestParse({ request, serverContext }) {
      return {
        async onRequestParseDone({ requestParserResult }) {
          // The request's own point is spent; the other operations of a batch spend theirs now.
          if (!Array.isArray(requestParserResult) || requestParserResult.length < 2 || !spent.has(request)) return;
          const state = await budget.spend(await options.clientKey(request, serverContext), requestParserResult.length - 1);
          spent.set(request, state);
          if (state.granted) return;
          const { message, extensions } = tooMany(state);
          throw createGraphQLError(message, {
            extensions: { ...extensions, http: { status: 429, headers: { 'retry-after': String(state.resetSeconds) } } },
          });
        },
      };
    },
    onExecute: ({ args, setResultAndStopExecution }) => spendForSocket(args.contextValue as object, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => spendForSocket(args.contextValue as object, setResultAndStopExecution),
    onResponse({ request, response }) {
      const state = spent.get(request);
      if (!state) return;
      response.headers.set('RateLimit-Limit', String(points));
      response.headers.set('RateLimit-Remaining', String(state.remaining));
      response.headers.set('RateLimit-Reset', String(state.resetSeconds));
    },
  };
}
