import { LatencyWindow } from './latency-window.js';
import type { HedgePolicy } from './upstream-policy.js';

/**
 * Per upstream source: when to send a second attempt of a slow call (after the policy's
 * percentile of recent latencies, or its fixed delay) and whether the budget allows one. The
 * budget is a token bucket: every call earns `maxShare` of a hedge, a hedge spends one, and at
 * most `burst` are saved up, so hedges stay at about `maxShare` of calls however slow the upstream.
 */
export class HedgeController {
  readonly #window: LatencyWindow;
  #tokens: number;

  constructor(readonly policy: HedgePolicy) {
    this.#window = new LatencyWindow(policy.window);
    this.#tokens = policy.burst;
  }

  /** Records an answered attempt's latency. */
  observe(ms: number): void {
    this.#window.add(ms);
  }

  /** How long a new call waits before its hedge, or null when it gets none. Every call earns its share of the budget here. */
  delayForNewCall(): number | null {
    const { policy } = this;
    this.#tokens = Math.min(policy.burst, this.#tokens + policy.maxShare);
    if (policy.maxShare <= 0) return null;
    if (policy.delayMs !== null) return Math.max(policy.minDelayMs, policy.delayMs);
    if (policy.percentile <= 0 || this.#window.count < policy.minSamples) return null;
    return Math.max(policy.minDelayMs, this.#window.percentile(policy.percentile)!);
  }

  /** Spends a token for a hedge; false when the budget is used up. */
  trySpend(): boolean {
    // A tenth of a millionth forgives the rounding of repeated fractional earnings (0.1 × 10).
    if (this.#tokens < 1 - 1e-7) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Why the slower attempt of a hedged call is aborted (one reason for all: building an error per call costs a stack trace). */
const OTHER_ATTEMPT_WON = new Error('the other attempt of this call answered first');

/**
 * Runs `attempt`; if it has not settled `delayMs` after it was actually sent (it calls its
 * `sent` callback then, after any queueing) and `mayHedge()` agrees, runs a second one
 * alongside. The first answer wins and the other is aborted through its signal. A failure
 * does not win while the other attempt may still answer; when both fail, the first one's
 * error is thrown. A first attempt that fails before the delay ends the call at once (retries
 * are the answer to failures, hedges the answer to slowness).
 */
export function hedged<T>(attempt: (signal: AbortSignal, sent: () => void) => Promise<T>, delayMs: number | null, mayHedge: () => boolean): Promise<T> {
  const first = new AbortController();
  if (delayMs === null) return attempt(first.signal, () => {});
  // The hedge's controller is made when a hedge goes out: most calls never send one.
  let second: AbortController | undefined;
  return new Promise<T>((resolve, reject) => {
    let pending = 1;
    let settled = false;
    let firstError: unknown;
    let hedgeTimer: NodeJS.Timeout | undefined;
    const win = (value: T, loser: AbortController | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      // Only an attempt still under way is aborted: the hedge of most calls was never sent,
      // and an abort builds an AbortError with its stack trace for nobody.
      if (pending > 1) loser?.abort(OTHER_ATTEMPT_WON);
      resolve(value);
    };
    const lose = (error: unknown, isFirst: boolean) => {
      if (isFirst || firstError === undefined) firstError = error;
      pending -= 1;
      if (settled || pending > 0) return;
      settled = true;
      clearTimeout(hedgeTimer);
      reject(firstError);
    };
    const hedge = () => {
      hedgeTimer = undefined;
      if (settled || !mayHedge()) return;
      pending += 1;
      second = new AbortController();
      attempt(second.signal, () => {}).then(
        (value) => win(value, first),
        (error) => lose(error, false),
      );
    };
    attempt(first.signal, () => {
      // Only the first sending counts: a retry is not a reason to wait longer.
      // The decision waits for the I/O phase after the timer: under load an answer that has
      // already arrived may not have been read yet, and a hedge sent then would be wasted.
      if (!settled && hedgeTimer === undefined && pending === 1) hedgeTimer = setTimeout(() => setImmediate(hedge), delayMs);
    }).then(
      (value) => win(value, second),
      (error) => lose(error, true),
    );
  });
}
