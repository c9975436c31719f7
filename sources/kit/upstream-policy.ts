/**
 * How gatherql treats every upstream host: timeouts, retries, concurrency and the circuit
 * breaker. The production defaults live here and nowhere else; tests pass small values.
 */
export interface UpstreamPolicy {
  /** Timeout of one attempt, from the first byte sent to the last byte received. */
  timeoutMs: number;
  /** Retries after the first attempt (GET only, on network errors, 408, 429 and 5xx). */
  retryLimit: number;
  /** Backoff before retry n is a random delay in [0, min(backoffMaxMs, backoffBaseMs * 2^(n-1))] ("full jitter"). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After up to this is honoured; a longer one ends the call at once (RATE_LIMITED). */
  maxRetryAfterMs: number;
  /**
   * Total time one call may take, retries and queueing included: no attempt starts after it,
   * and an attempt that starts late gets only what is left.
   */
  budgetMs: number;
  /** Attempts in flight per host; more wait in a queue (and count against the budget). Also the agent's sockets per host. */
  concurrencyPerHost: number;
  /**
   * Largest response body read, in bytes; a longer one is cut off and is a bad response. The
   * timeout bounds a body in time, this in memory: a broken or hostile upstream must not make
   * the gateway buffer megabytes per call.
   */
  maxResponseBytes: number;
  breaker: BreakerPolicy;
  hedge: HedgePolicy;
}

/**
 * Hedged calls ("The Tail at Scale"): when a call has not answered after about the latency
 * most calls stay under, a second attempt goes out and the first answer wins. It cuts the
 * tail that one slow call in a fan-out would otherwise give the whole request.
 */
export interface HedgePolicy {
  /** Hedge after this percentile (0-100) of the source's recent answered latencies; 0 turns hedging off. */
  percentile: number;
  /** A fixed delay in ms instead of the percentile, or null for the percentile. */
  delayMs: number | null;
  /** Never hedge sooner than this many ms. */
  minDelayMs: number;
  /** Latencies remembered per source. */
  window: number;
  /** Latencies needed before the first hedge: until then no one knows what slow is. */
  minSamples: number;
  /** Share of calls that may be hedged: each call earns this much of a hedge, each hedge spends one. */
  maxShare: number;
  /** Hedges saved up at most (and available at start). */
  burst: number;
}

export interface BreakerPolicy {
  /** Failure share, in percent, above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the breaker may open at all. */
  volumeThreshold: number;
  rollingWindowMs: number;
  /** How long the breaker stays open before one probe call may try to close it. */
  resetTimeoutMs: number;
}

/** An attempt shorter than this is not worth starting. */
export const MIN_ATTEMPT_MS = 50;

/** Production defaults. The budget leaves room for two full attempts and their backoff. */
export function defaultUpstreamPolicy(timeoutMs: number): UpstreamPolicy {
  return {
    timeoutMs,
    retryLimit: 2,
    backoffBaseMs: 200,
    backoffMaxMs: 2_000,
    maxRetryAfterMs: 3_000,
    budgetMs: 2 * timeoutMs + 1_000,
    // Above the 200 cities one request may ask for with WEATHER_MAX_CITIES' default (4 x 50 over
    // all its fields), so one cold request never queues behind itself. Still a bound: a burst
    // of cold requests waits here rather than opening a socket per call.
    concurrencyPerHost: 256,
    // Open-Meteo's largest answer here (a forecast batch of 20) is about 12 kB.
    maxResponseBytes: 1024 * 1024,
    breaker: { errorThresholdPercentage: 50, volumeThreshold: 10, rollingWindowMs: 10_000, resetTimeoutMs: 5_000 },
    // After the p97: after the p95, ordinary jitter alone asks for 5% of calls, the whole budget,
    // and the really slow calls compete with it for tokens. A burst of 40 lets a wave of a few
    // hundred calls sent at once hedge its slow ones; over time hedges stay near maxShare.
    hedge: { percentile: 97, delayMs: null, minDelayMs: 10, window: 512, minSamples: 20, maxShare: 0.05, burst: 40 },
  };
}

/** The default policy with some fields replaced (the breaker's and the hedge's field by field). */
export function upstreamPolicy(timeoutMs: number, overrides: UpstreamPolicyOverrides = {}): UpstreamPolicy {
  const defaults = defaultUpstreamPolicy(overrides.timeoutMs ?? timeoutMs);
  return {
    ...defaults,
    ...overrides,
    breaker: { ...defaults.breaker, ...overrides.breaker },
    hedge: { ...defaults.hedge, ...overrides.hedge },
  };
}

export type UpstreamPolicyOverrides = Partial<Omit<UpstreamPolicy, 'breaker' | 'hedge'>> & {
  breaker?: Partial<BreakerPolicy>;
  hedge?: Partial<HedgePolicy>;
};

/** Exponential backoff with full jitter: spreads the retries of many callers apart. */
export function backoffDelay(policy: Pick<UpstreamPolicy, 'backoffBaseMs' | 'backoffMaxMs'>, retry: number, random = Math.random): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (retry - 1));
  // got reads 0 as "do not retry", so the shortest delay is 1 ms.
  return Math.max(1, Math.round(random() * ceiling));
}
