import CircuitBreaker from 'opossum';
import pLimit, { type LimitFunction } from 'p-limit';
import { UpstreamError } from './upstream-error.js';
import type { BreakerPolicy } from './upstream-policy.js';

export type CircuitState = 'open' | 'halfOpen' | 'closed';

export interface CircuitChange {
  /** The source whose circuit changed, e.g. "forecast". */
  source: string;
  /** Its host, for the operator's log line. */
  host: string;
  state: CircuitState;
}

/**
 * What stands between gatherql and one upstream source (one host): a circuit breaker that
 * fails fast while the host is down, and a concurrency cap behind it. The breaker is outside
 * the cap, so an open circuit rejects at once instead of waiting for a slot first.
 */
export interface HostGuard {
  /**
   * Runs one call (its attempts and their retries) when the circuit lets it: the breaker
   * counts calls, not attempts. It must throw UpstreamError; those with `hostFailure` count
   * against the host. `what` names the upstream in the error an open circuit raises.
   */
  run<T>(call: () => Promise<T>, what: string): Promise<T>;
  /** Runs one attempt under the host's concurrency cap (not across a retry's backoff). */
  limit<T>(attempt: () => Promise<T>): Promise<T>;
  readonly state: CircuitState;
  close(): void;
}

export interface HostGuardOptions {
  source: string;
  host: string;
  /** Attempts in flight at most; more wait in a queue. */
  concurrency: number;
  breaker: BreakerPolicy;
  onChange?: (change: CircuitChange) => void;
}

export function createHostGuard({ source, host, concurrency, breaker: policy, onChange = () => {} }: HostGuardOptions): HostGuard {
  // Queued attempts reject when the guard closes rather than waiting forever.
  const limit: LimitFunction = pLimit({ concurrency, rejectOnClear: true });
  // opossum runs one action; ours runs whatever call it is handed.
  const breaker = new CircuitBreaker(<T>(call: () => Promise<T>) => call(), {
    // The HTTP client owns timeouts (per attempt, within a budget); a second clock here would only race it.
    timeout: false,
    errorThresholdPercentage: policy.errorThresholdPercentage,
    volumeThreshold: policy.volumeThreshold,
    rollingCountTimeout: policy.rollingWindowMs,
    resetTimeout: policy.resetTimeoutMs,
    rollingPercentilesEnabled: false,
    // Only failures that say something about the host count: not a slow queue of our own,
    // not one location's bad entry, not a caller that gave up (see UpstreamError.hostFailure).
    errorFilter: (error: unknown) => !(error instanceof UpstreamError && error.hostFailure),
  });
  let openedAt = 0;
  breaker.on('open', () => {
    openedAt = Date.now();
    onChange({ source, host, state: 'open' });
  });
  breaker.on('halfOpen', () => onChange({ source, host, state: 'halfOpen' }));
  breaker.on('close', () => onChange({ source, host, state: 'closed' }));

  return {
    limit: (attempt) => limit(attempt),
    async run<T>(call: () => Promise<T>, what: string): Promise<T> {
      try {
        return (await breaker.fire(call)) as T;
      } catch (error) {
        if ((error as { code?: string }).code === 'EOPENBREAKER') {
          const retryAfterSeconds = Math.max(1, Math.ceil((openedAt + policy.resetTimeoutMs - Date.now()) / 1000));
          throw new UpstreamError('UPSTREAM_UNAVAILABLE', `${what} is failing; not calling it for a while`, {
            cause: error,
            hostFailure: false,
            retryAfterSeconds,
            origin: 'caller',
          });
        }
        throw error;
      }
    },
    get state() {
      return breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed';
    },
    close() {
      breaker.shutdown();
      limit.clearQueue();
    },
  };
}
