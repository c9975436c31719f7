import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from '../redis.js';
import type { ClientKeyFn } from './client-key.js';

export interface RateLimitOptions {
  /** Requests per client per window; 0 turns rate limiting off. */
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

const spent = new WeakMap<Request, RateLimiterRes>();

/**
 * Limits GraphQL requests per client: every request to the GraphQL endpoint spends one
 * point (a batch too; the batch cap bounds it). Over budget: HTTP 429 with Retry-After and
 * a GraphQL error with code RATE_LIMITED. Every counted response carries RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset (seconds). /health, /ready and /metrics are free.
 *
 * When the Redis store fails, the request is served unlimited (fail open): an outage of the
 * limiter must not become an outage of the API. That is logged (at most every
 * `warnIntervalMs`), and the limit applies again as soon as Redis answers.
 */
export function useRateLimit(options: RateLimitOptions): Plugin {
  if (options.limit <= 0) return {};
  const points = options.limit;
  const duration = options.windowSeconds ?? 60;
  const keyPrefix = options.keyPrefix ?? 'gatherql:rate';
  const warnIntervalMs = options.warnIntervalMs ?? 30_000;
  const limiter: RateLimiterAbstract = options.redis
    ? // Not ready means fail now: ioredis would otherwise hold the request until it reconnects.
      new RateLimiterRedis({ storeClient: options.redis, points, duration, keyPrefix, rejectIfRedisNotReady: true })
    : new RateLimiterMemory({ points, duration, keyPrefix });

  let graphqlEndpoint = '/graphql';
  let failing = false;
  let lastWarning = 0;
  const failOpen = (error: unknown) => {
    failing = true;
    const now = Date.now();
    if (now - lastWarning < warnIntervalMs) return;
    lastWarning = now;
    options.logger?.warn(
      { error: error instanceof Error ? error.message : String(error) },
      'rate limit store unreachable: serving requests without a rate limit (fail open) until it is back',
    );
  };

  return {
    onYogaInit({ yoga }) {
      graphqlEndpoint = yoga.graphqlEndpoint;
    },
    async onRequest({ request, url, serverContext, fetchAPI, endResponse }) {
      if (url.pathname !== graphqlEndpoint) return;
      const key = await options.clientKey(request, serverContext);
      try {
        spent.set(request, await limiter.consume(key));
        if (failing) options.logger?.info('rate limit store reachable again: limits apply');
        failing = false;
      } catch (outcome) {
        if (!(outcome instanceof RateLimiterRes)) return failOpen(outcome);
        spent.set(request, outcome);
        const retryAfter = secondsUntil(outcome);
        const json = (request.headers.get('accept') ?? '').includes('application/graphql-response+json')
          ? 'application/graphql-response+json'
          : 'application/json';
        const body = {
          errors: [
            {
              message: `Too many requests: the limit is ${points} per ${duration} s per client; retry in ${retryAfter} s`,
              extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
            },
          ],
        };
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status: 429,
            headers: { 'content-type': `${json}; charset=utf-8`, 'retry-after': String(retryAfter) },
          }),
        );
      }
    },
    onResponse({ request, response }) {
      const state = spent.get(request);
      if (!state) return;
      response.headers.set('RateLimit-Limit', String(points));
      response.headers.set('RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
      response.headers.set('RateLimit-Reset', String(secondsUntil(state)));
    },
  };
}

/** Whole seconds until the client's window ends; at least 1, so that a retry never comes early. */
function secondsUntil(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}
