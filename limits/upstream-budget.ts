import type { Logger } from 'pino';
import type { Redis } from '../redis.js';
import { type Budget, createBudget } from './budget.js';
import { createStoreWarning } from './store-warning.js';

/** What one request spent of its client's upstream budget, for `extensions.cost`. */
export interface UpstreamCost {
  /** Upstream look-ups this request started, one per key (cache hits, joined calls and stale answers cost nothing). */
  lookUps: number;
  /** Look-ups refused because the budget was spent. */
  refused: number;
  /** The budget after the last spend; null when the request spent nothing or there is no budget. */
  budget: { limit: number; remaining: number; resetSeconds: number } | null;
}

/**
 * The upstream look-ups one name of `weather` or `cities` may start, each a key of its own: its
 * place, weather and air quality, and on a cold gateway its country (each code's look-up
 * spends before it finds the countries dataset loading).
 */
export const LOOK_UPS_PER_NAME = 4;

/**
 * UPSTREAM_BUDGET_PER_MINUTE when it is not set: what the largest request the limits allow
 * (`largestRequestNames`, every part of each) spends when nothing of it is
 * cached, so that a fresh client's one such request is answered whole. A look-up is a key, as
 * the upstreams count (Open-Meteo weighs a call by its locations), not a batched call: the
 * budget then says what a client may take of the gateway's quotas, whatever the batching.
 */
export function defaultUpstreamBudget(largestRequestNames: number): number {
  return largestRequestNames * LOOK_UPS_PER_NAME;
}

/**
 * UPSTREAM_BUDGET_PER_MINUTE: the upstream look-ups one client may start per minute. The
 * request rate limit counts operations; this counts what they cost the upstreams (a cold
 * city is a call, a cached one nothing), so that no client can spend the gateway's quota
 * for everyone. Null when off.
 */
export function createUpstreamBudget(perMinute: number, redis: Redis | null, logger: Logger, inPrimary = false): Budget | null {
  if (perMinute <= 0) return null;
  const warning = createStoreWarning({
    logger,
    intervalMs: 30_000,
    down: 'upstream budget store unreachable: upstream look-ups are not counted per client until it is back',
    up: 'upstream budget store reachable again',
  });
  return createBudget({
    points: perMinute,
    durationSeconds: 60,
    redis,
    inPrimary,
    keyPrefix: 'gatherql:upstream-budget',
    storeHealth: warning,
  });
}
