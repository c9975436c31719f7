import {
  type RateLimiterAbstract,
  RateLimiterCluster,
  RateLimiterClusterMaster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Redis } from '../redis.js';

/** What a spend found: granted or not, what is left, and when the window resets. */
export interface BudgetState {
  granted: boolean;
  /** Points left in the window after this spend (0 when refused). */
  remaining: number;
  /** Whole seconds until the window resets (or the block ends); at least 1. */
  resetSeconds: number;
  /** False when the store failed and the spend was granted without being counted (fail open). */
  counted: boolean;
}

export interface BudgetOptions {
  /** Points per window. */
  points: number;
  /** Window length in seconds; a window starts with a key's first spend. */
  durationSeconds: number;
  /** Once over budget, the key stays refused this long (default: until the window ends). */
  blockSeconds?: number;
  /** Keep the counts in Redis, so that every gateway on it shares one budget per key. Default: process memory. */
  redis?: Redis | null;
  /**
   * Without Redis: keep the counts in the node:cluster primary, so that the workers of one
   * machine (WORKERS > 1) share one budget per key. Only in a worker whose primary called
   * keepWorkersBudgets().
   */
  inPrimary?: boolean;
  /** Prefix of the Redis keys, e.g. `gatherql:rate`. */
  keyPrefix: string;
  /** Hears how the store does, on every use (a StoreWarning logs it): each failure and each answer. */
  storeHealth?: StoreHealth;
}

/** Hears each failure of the Redis store (the spend was then granted: fail open) and each answer (after failures, the sign that it is back). */
export interface StoreHealth {
  failed?(error: unknown): void;
  succeeded?(): void;
}

/**
 * Points per key per window (rate-limiter-flexible), in memory or in Redis, shared by the
 * rate limit, the upstream budget and the login throttle. When the Redis store fails, a
 * spend is granted (fail open): an outage of a limiter must not become an outage of the API.
 */
export interface Budget {
  readonly points: number;
  /** Spends `points` for `key`, or none when that would pass the budget. */
  spend(key: string, points?: number): Promise<BudgetState>;
  /** The key's state without spending; `granted` says whether one more point could be spent now (false when spent or blocked). */
  peek(key: string): Promise<BudgetState>;
  /** Refuses the key for `seconds`. */
  block(key: string, seconds: number): Promise<void>;
  /** Gives `points` back to the key (a spend that turned out not to count). */
  refund(key: string, points?: number): Promise<void>;
  /** Forgets the key: a fresh budget. */
  forget(key: string): Promise<void>;
}

/** A primary that has not answered a spend in this long is taken as failed: the spend is granted (fail open). */
const PRIMARY_TIMEOUT_MS = 2_000;

/**
 * In the node:cluster primary of WORKERS > 1 without Redis: keeps the counts of the workers'
 * budgets made `inPrimary`, one count per key for all of them (answered over their IPC
 * channels). Without it, a budget kept by each worker alone would let a client spend it once
 * per worker: the login throttle would allow WORKERS times its guesses.
 */
export function keepWorkersBudgets(): void {
  new RateLimiterClusterMaster();
}

export function createBudget(options: BudgetOptions): Budget {
  const { points, durationSeconds: duration, keyPrefix } = options;
  const blockDuration = options.blockSeconds ?? 0;
  const limiter: RateLimiterAbstract = options.redis
    ? // Not ready means fail now: ioredis would otherwise hold the request until it reconnects.
      new RateLimiterRedis({ storeClient: options.redis, points, duration, blockDuration, keyPrefix, rejectIfRedisNotReady: true })
    : options.inPrimary
      ? new RateLimiterCluster({ points, duration, blockDuration, keyPrefix, timeoutMs: PRIMARY_TIMEOUT_MS })
      : new RateLimiterMemory({ points, duration, blockDuration, keyPrefix });
  const open: BudgetState = { granted: true, remaining: points, resetSeconds: duration, counted: false };
  const failOpen = (error: unknown): BudgetState => {
    options.storeHealth?.failed?.(error);
    return open;
  };
  const answered = () => options.storeHealth?.succeeded?.();
  /** A change to the key's count that answers nothing: whether the store took it is only for the store's health. */
  const write = async (change: () => Promise<unknown>) => {
    try {
      await change();
      answered();
    } catch (error) {
      failOpen(error);
    }
  };
  const state = (result: RateLimiterRes, granted: boolean): BudgetState => ({
    granted,
    remaining: granted ? Math.max(0, result.remainingPoints) : 0,
    resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
    counted: true,
  });

  return {
    points,
    async spend(key, spent = 1) {
      let result: RateLimiterRes;
      try {
        result = await limiter.consume(key, spent);
      } catch (outcome) {
        if (!(outcome instanceof RateLimiterRes)) return failOpen(outcome);
        // Refused: the store counted it all the same.
        answered();
        return state(outcome, false);
      }
      answered();
      return state(result, true);
    },
    async peek(key) {
      try {
        const result = await limiter.get(key);
        answered();
        if (!result) return { ...open, counted: true };
        return state(result, result.consumedPoints < points);
      } catch (error) {
        return failOpen(error);
      }
    },
    block: (key, seconds) => write(() => limiter.block(key, seconds)),
    refund: (key, points = 1) => write(() => limiter.reward(key, points)),
    forget: (key) => write(() => limiter.delete(key)),
  };
}
