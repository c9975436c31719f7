import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { BudgetState } from '../limits/budget.js';
import type { ClientKeyFn } from '../limits/client-key.js';
import { type RateLimit, refusalMediaType } from '../limits/rate-limit.js';
import { socketOperationOf } from '../operation-facts.js';
import { requestSlot } from '../request-slots.js';

export interface RateLimitOptions {
  /** The budget every request spends from (see createRateLimit); null turns rate limiting off. */
  rateLimit: RateLimit | null;
  /** Names the client whose budget a request spends (see client-key.ts). */
  clientKey: ClientKeyFn;
}

const spent = requestSlot<BudgetState>('rate limit spent');

/**
 * Limits GraphQL operations per client: a request to the GraphQL endpoint spends one point
 * before anything else runs, and a batch of n operations n points once it is parsed (the
 * batch cap bounds n). Over budget: HTTP 429 with Retry-After and a GraphQL error with code
 * RATE_LIMITED. Every counted response carries RateLimit-Limit, RateLimit-Remaining and
 * RateLimit-Reset (seconds). /health, /ready and /metrics are free. A store that fails lets
 * the request through uncounted, without those headers (see RateLimit). An operation over a
 * WebSocket spends a point from the same budget when it starts, and is refused with
 * RATE_LIMITED over budget.
 */
export function useRateLimit(options: RateLimitOptions): Plugin {
  const { rateLimit } = options;
  if (!rateLimit) return {};
  let graphqlEndpoint = '/graphql';
  /** An operation over a WebSocket has no request to count in onRequest: it spends its point as it starts to run. */
  const spendForSocket = (context: object, refuse: (result: { errors: GraphQLError[] }) => void) => {
    if (!socketOperationOf(context)) return;
    const clientKey = (context as { clientKey?: () => Promise<string> }).clientKey;
    return (async () => {
      const state = await rateLimit.spend(clientKey ? await clientKey() : 'ip:unknown');
      if (!state || state.granted) return;
      const { message, extensions } = rateLimit.refusal(state);
      refuse({ errors: [createGraphQLError(message, { extensions })] });
    })();
  };

  return {
    onYogaInit({ yoga }) {
      graphqlEndpoint = yoga.graphqlEndpoint;
    },
    async onRequest({ request, url, serverContext, fetchAPI, endResponse }) {
      if (url.pathname !== graphqlEndpoint) return;
      const state = await rateLimit.spend(await options.clientKey(request, serverContext));
      // Uncounted (the store failed): served without a limit, and without RateLimit headers.
      if (!state) return;
      spent.set(request, state);
      if (state.granted) return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [rateLimit.refusal(state)] }), {
          status: 429,
          headers: { 'content-type': `${refusalMediaType(request.headers.get('accept'))}; charset=utf-8`, 'retry-after': String(state.resetSeconds) },
        }),
      );
    },
    onRequestParse({ request, serverContext }) {
      return {
        async onRequestParseDone({ requestParserResult }) {
          // The request's own point is spent; the other operations of a batch spend theirs now.
          if (!Array.isArray(requestParserResult) || requestParserResult.length < 2 || !spent.has(request)) return;
          const state = await rateLimit.spend(await options.clientKey(request, serverContext), requestParserResult.length - 1);
          if (!state) return;
          spent.set(request, state);
          if (state.granted) return;
          const { message, extensions } = rateLimit.refusal(state);
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
      for (const [name, value] of rateLimit.headers(state)) response.headers.set(name, value);
    },
  };
}
