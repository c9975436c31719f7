import type { Logger } from 'pino';
import { type BudgetState, createBudget } from '../limits/budget.js';
import { createStoreWarning } from '../limits/store-warning.js';
import type { Redis } from '../redis.js';
import { RequestError } from './errors.js';

/** OWASP's advice in numbers: throttle per account and per source, the same answer either way. */
export const LOGIN_THROTTLE = {
  /** Failed (or unfinished) logIns in a row for one username before it is locked, whoever tries. */
  maxConsecutiveFailures: 5,
  /** How long a locked username stays locked, and how long its failures are remembered. */
  lockSeconds: 15 * 60,
  /** From this many failures in a row on, the next try must wait 1 s, then 2 s, 4 s …: a guesser slows down long before the lock. */
  slowDownAfter: 2,
  /** Failed logIns per client per hour, over all usernames, before the client is blocked for the hour. */
  maxFailuresPerClient: 30,
} as const;

/** One logIn under way: it must say how it ended. */
export interface LoginAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/** Slows down, then blocks, repeated failed logIns; process-wide, made by the gateway. */
export interface LoginThrottle {
  /**
   * Starts a logIn for `username` from `client`, or throws RATE_LIMITED (with Retry-After)
   * when it may not be tried now. Every attempt counts as a failure until it succeeds, so
   * that a burst of concurrent guesses is counted before any password is checked.
   */
  begin(username: string, client: string): Promise<LoginAttempt>;
}

export interface LoginThrottleOptions {
  /** Share the counts through Redis, so that every instance throttles alike. */
  redis?: Redis | null;
  /** Without Redis, with WORKERS > 1: count in the primary, once for all workers (see keepWorkersBudgets). */
  inPrimary?: boolean;
  logger?: Logger;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const warning = createStoreWarning({
    logger: options.logger,
    intervalMs: 30_000,
    down: 'login throttle store unreachable: logIns are not throttled until it is back',
    up: 'login throttle store reachable again',
  });
  const common = { redis: options.redis ?? null, inPrimary: options.inPrimary, storeHealth: warning };
  const failures = createBudget({
    ...common,
    points: LOGIN_THROTTLE.maxConsecutiveFailures,
    durationSeconds: LOGIN_THROTTLE.lockSeconds,
    blockSeconds: LOGIN_THROTTLE.lockSeconds,
    keyPrefix: 'gatherql:login:user',
  });
  const pause = createBudget({ ...common, points: 1, durationSeconds: 1, keyPrefix: 'gatherql:login:pause' });
  const clients = createBudget({
    ...common,
    points: LOGIN_THROTTLE.maxFailuresPerClient,
    durationSeconds: 3600,
    blockSeconds: 3600,
    keyPrefix: 'gatherql:login:client',
  });
  // Usernames are unique case-insensitively; an unknown one is counted exactly like a known one.
  const account = (username: string) => username.trim().toLowerCase().slice(0, 64);
  const refuse = (states: BudgetState[]): never => {
    const retryAfterSeconds = Math.max(...states.filter((state) => !state.granted).map((state) => state.resetSeconds));
    throw new RequestError('RATE_LIMITED', `Too many failed sign-ins; retry in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
      http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
    });
  };

  return {
    async begin(username, client) {
      const key = account(username);
      const paused = await pause.peek(key);
      if (!paused.granted) refuse([paused]);
      const states = await Promise.all([failures.spend(key), clients.spend(client)]);
      if (states.some((state) => !state.granted)) refuse(states);
      const inARow = LOGIN_THROTTLE.maxConsecutiveFailures - states[0]!.remaining;
      return {
        async failed() {
          if (states[0]!.counted && inARow >= LOGIN_THROTTLE.slowDownAfter) await pause.block(key, 2 ** (inARow - LOGIN_THROTTLE.slowDownAfter));
        },
        // The username's failures are forgotten; the client's point is given back (it did not fail).
        async succeeded() {
          await Promise.all([failures.forget(key), pause.forget(key), clients.refund(client)]);
        },
      };
    },
  };
}
