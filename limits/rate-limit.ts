import type { Logger } from 'pino';
import type { Redis } from '../redis.js';
import { type BudgetState, createBudget } from './budget.js';
import { createStoreWarning } from './store-warning.js';

export interface RateLimitOptions {
  /** Operations per client per window; more than 0 (0 is no limit: no RateLimit at all). */
  limit: number;
  /** Window length in seconds; a window starts with a client's first request. Default 60. */
  windowSeconds?: number;
  /** Keep the counters in Redis, so that every gateway on it shares one budget per client. Default: in process memory. */
  redis?: Redis | null;
  /** Without Redis, with WORKERS > 1: count in the primary, once for all workers (see keepWorkersBudgets). */
  inPrimary?: boolean;
  /** Prefix of the Redis keys. Default `gatherql:rate`. */
  keyPrefix?: string;
  /** Receives the warning while the Redis store is unreachable, and the all-clear. */
  logger?: Logger;
  /** The "serving without a limit" warning is logged at most once per this interval. Default 30 000 ms. */
  warnIntervalMs?: number;
}

/** A refusal as the client gets it: HTTP 429 with Retry-After, and a GraphQL error RATE_LIMITED. */
export interface Refusal {
  message: string;
  extensions: { code: 'RATE_LIMITED'; retryAfterSeconds: number };
}

/**
 * Operations per client per window: one budget, spent by every path a request may take (the
 * rate-limit plugin, and the lane of kept answers in front of Yoga, see http/kept-answers.ts).
 * When the Redis store fails, a request is served unlimited (fail open): an outage of the
 * limiter must not become an outage of the API. That is logged (at most every
 * `warnIntervalMs`), and the limit applies again as soon as Redis answers.
 */
export interface RateLimit {
  readonly limit: number;
  /** Spends `points` for `client`: its state, or null when the store failed and nothing was counted. */
  spend(client: string, points?: number): Promise<BudgetState | null>;
  /** What a refused request is told. */
  refusal(state: BudgetState): Refusal;
  /** RateLimit-Limit, -Remaining and -Reset of a counted request, as [name, value] pairs. */
  headers(state: BudgetState): [string, string][];
}

export function createRateLimit(options: RateLimitOptions): RateLimit {
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
    inPrimary: options.inPrimary,
    keyPrefix: options.keyPrefix ?? 'gatherql:rate',
    storeHealth: warning,
  });
  return {
    limit: points,
    async spend(client, spent = 1) {
      const state = await budget.spend(client, spent);
      return state.counted ? state : null;
    },
    refusal: (state) => ({
      message: `Too many requests: the limit is ${points} operations per ${duration} s per client; retry in ${state.resetSeconds} s`,
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: state.resetSeconds },
    }),
    headers: (state) => [
      ['RateLimit-Limit', String(points)],
      ['RateLimit-Remaining', String(state.remaining)],
      ['RateLimit-Reset', String(state.resetSeconds)],
    ],
  };
}

/** The media type of a 429's JSON body: the one a GraphQL-over-HTTP client asked for, else plain JSON. */
export function refusalMediaType(accept: string | null | undefined): string {
  return (accept ?? '').includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
}
