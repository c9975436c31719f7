import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Freshness } from './freshness.js';
import type { AttemptListener } from './http.js';
import type { QuotaShare } from './quota.js';
import type { LookUpTracer } from './trace.js';
import type { BackgroundLane } from './background-lane.js';

/**
 * Who upstream work is done for: one GraphQL request, or the gateway itself (a background
 * refresh). Built once per request and handed to every look-up, so that its deadline, its
 * Server-Timing and what it learns of its values' freshness need no threading by hand.
 */
export interface Caller {
  /** `performance.now()` after which nothing is started or waited for on this caller's behalf. */
  readonly deadline: number;
  /** Aborted at the deadline: look-ups in flight for this caller give up then. */
  readonly signal: AbortSignal;
  /** Hears of every upstream attempt made for this caller. */
  onAttempt?: AttemptListener;
  /**
   * Told of every value a look-up handed this caller, with its freshness, and of every
   * failure (null): what decides how long an answer built from them may be kept.
   */
  onDelivery?: (freshness: Freshness | null) => void;
  /**
   * Asked before each upstream call this caller would start (a cold look-up; cache hits,
   * joined calls and stale answers are free): null to go ahead, or the seconds until the
   * caller's budget allows more calls.
   */
  spend?: () => Promise<number | null>;
  /** Traces each look-up made for this caller; absent when tracing is off. */
  tracer?: LookUpTracer;
  /**
   * The share of each upstream quota window the calls made for this caller may spend up to
   * (background work: REPORT_QUOTA_SHARE); absent: all of it.
   */
  quotaShare?: QuotaShare;
  /**
   * Where the upstream attempts made for this caller go out (background work: a few at a
   * time, see background-lane.ts); absent: each starts at once.
   */
  lane?: BackgroundLane;
}

/** What a request's caller is told of: its attempts, deliveries, budget and tracer. */
export type CallerHooks = Pick<Caller, 'onAttempt' | 'onDelivery' | 'spend' | 'tracer'>;

/**
 * A caller whose deadline is `ms` from now. The signal's timer starts on first use, so a
 * request that never reaches an upstream costs none.
 */
export function callerWithin(ms: number, hooks: CallerHooks = {}): Caller {
  return new DeadlineCaller(performance.now() + ms, hooks);
}

// A class, not an object literal with a getter and the hooks spread in: every request makes one,
// and V8 built the literal at about twice the cost.
class DeadlineCaller implements Caller {
  readonly onAttempt;
  readonly onDelivery;
  readonly spend;
  readonly tracer;
  #signal: AbortSignal | undefined;

  constructor(
    readonly deadline: number,
    hooks: CallerHooks,
  ) {
    this.onAttempt = hooks.onAttempt;
    this.onDelivery = hooks.onDelivery;
    this.spend = hooks.spend;
    this.tracer = hooks.tracer;
  }

  get signal(): AbortSignal {
    if (!this.#signal) {
      this.#signal = AbortSignal.timeout(Math.max(0, Math.ceil(this.deadline - performance.now())));
      // Every look-up the request waits for listens to it: hundreds is normal, not a leak.
      setMaxListeners(0, this.#signal);
    }
    return this.#signal;
  }
}

/** The gateway's own work (refreshes in the background): no deadline but the sources' budgets, nobody to tell. */
export const BACKGROUND: Caller = {
  deadline: Number.POSITIVE_INFINITY,
  signal: new AbortController().signal,
};
