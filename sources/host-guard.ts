import CircuitBreaker from 'opossum';
import pLimit, { type LimitFunction } from 'p-limit';
import type { BreakerPolicy } from './upstream-policy.js';
import { UpstreamError } from './upstream-error.js';

export type CircuitState = 'open' | 'halfOpen' | 'closed';

export interface CircuitChange {
  host: string;
  state: CircuitState;
}

/**
 * What stands between gatherql and one upstream host: a circuit breaker that fails fast
 * while the host is down, and a concurrency cap behind it. The breaker is outside the cap,
 * so an open circuit rejects at once instead of waiting for a slot first.
 */
export interface HostGuard {
  /**
   * Runs `call` when the circuit lets it. It must throw UpstreamError; those with
   * `hostFailure` count against the host. `what` names the upstream in the error an open
   * circuit raises.
   */
  run<T>(call: () => Promise<T>, what: string): Promise<T>;
  readonly state: CircuitState;
  close(): void;
}

export function createHostGuard(
  host: string,
  concurrency: number,
  policy: BreakerPolicy,
  onChange: (change: CircuitChange) => void = () => {},
): HostGuard {
  // Queued calls reject when the guard closes rather than waiting forever.
  const limit: LimitFunction = pLimit({ concurrency, rejectOnClear: true });
  // opossum runs one action; ours runs whatever call it is handed, under the host's cap.
  const breaker = new CircuitBreaker(<T>(call: () => Promise<T>) => limit(call), {
    // got owns timeouts (per attempt, within a budget); a second clock here would only race it.
    timeout: false,
    errorThresholdPercentage: policy.errorThresholdPercentage,
    volumeThreshold: policy.volumeThreshold,
    rollingCountTimeout: policy.rollingWindowMs,
    resetTimeout: policy.resetTimeoutMs,
    rollingPercentilesEnabled: false,
    // Only failures that say something about the host count: not a slow queue of our own,
    // not one location's bad entry (see UpstreamError.hostFailure).
    errorFilter: (error: unknown) => !(error instanceof UpstreamError && error.hostFailure),
  });
  breaker.on('open', () => onChange({ host, state: 'open' }));
  breaker.on('halfOpen', () => onChange({ host, state: 'halfOpen' }));
  breaker.on('close', () => onChange({ host, state: 'closed' }));

  return {
    async run<T>(call: () => Promise<T>, what: string): Promise<T> {
      try {
        return (await breaker.fire(call)) as T;
      } catch (error) {
        if ((error as { code?: string }).code === 'EOPENBREAKER') {
          throw new UpstreamError('UNAVAILABLE', `${what} is failing; not calling it for a while`, { cause: error, hostFailure: false });
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
