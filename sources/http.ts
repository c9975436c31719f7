import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import got, { type Got, type RetryObject, TimeoutError } from 'got';
import { HedgeController, hedged } from './hedging.js';
import { createHostGuard, type CircuitChange, type HostGuard } from './host-guard.js';
import { UpstreamError, toUpstreamError } from './upstream-error.js';
import { backoffDelay, MIN_ATTEMPT_MS, type UpstreamPolicy } from './upstream-policy.js';

export type UpstreamSource = 'geocoding' | 'forecast';
/** `cancelled`: a hedged call's other attempt answered first, so this one was aborted. */
export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';

/** One HTTP attempt that was sent, as the metrics (and Server-Timing) see it. */
export interface UpstreamAttempt {
  source: UpstreamSource;
  outcome: AttemptOutcome;
  durationMs: number;
}

/** Hears of each attempt as it ends: the metrics, or one request's Server-Timing. */
export type AttemptListener = (attempt: UpstreamAttempt) => void;

export interface UpstreamHttpOptions {
  policy: UpstreamPolicy;
  onAttempt?: AttemptListener;
  /** Called when a slow call gets a second attempt (see HedgePolicy); its attempts are reported by onAttempt too. */
  onHedge?: (source: UpstreamSource) => void;
  onCircuitChange?: (change: CircuitChange) => void;
}

export interface GetJsonRequest<T> {
  source: UpstreamSource;
  /** Names the upstream in error messages, e.g. "The geocoding service". */
  what: string;
  url: URL;
  /** Checks the parsed body; throws UpstreamError('BAD_RESPONSE') when it is not the documented shape. */
  parse: (body: unknown) => T;
  /** `performance.now()` after which no attempt starts; by default now + the policy's budget. */
  deadline?: number;
  /**
   * Whether a timed-out attempt is retried (default true). A batch call turns it off: asking
   * each location alone is then the better retry, and costs no second timeout.
   */
  retryTimeouts?: boolean;
  /**
   * Told of every attempt of this call too, besides UpstreamHttpOptions.onAttempt: the
   * caller's own accounting (a request's Server-Timing).
   */
  onAttempt?: AttemptListener;
}

export interface UpstreamHttp {
  getJson<T>(request: GetJsonRequest<T>): Promise<T>;
  /** Circuit state per host that has been called, for diagnostics and tests. */
  circuits(): Record<string, HostGuard['state']>;
  close(): void;
}

/** Per-call bookkeeping, carried through got's retries in `options.context`. */
interface CallState {
  source: UpstreamSource;
  deadline: number;
  retryTimeouts: boolean;
  /** Aborted when the other attempt of a hedged call answered first. */
  signal: AbortSignal;
  /** Shared with the hedging decision: set once an attempt failed and a retry is coming. */
  progress: { retrying: boolean };
  /** When the attempt in flight started; null once its outcome is recorded. */
  attemptStartedAt: number | null;
  onAttempt: AttemptListener | undefined;
}

const CALL = 'gatherqlCall';
const SERVER_ERRORS = Array.from({ length: 100 }, (_, index) => 500 + index);

/**
 * The one HTTP client for every upstream: keep-alive agents, a timeout per attempt, retries
 * with backoff inside a total budget, and per host a concurrency cap and a circuit breaker.
 * Attempts are counted in got's hooks, so that every attempt sent is seen exactly once.
 */
export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const { policy } = options;
  const onAttempt = options.onAttempt ?? (() => {});
  const agentOptions = { keepAlive: policy.keepAlive, maxSockets: policy.concurrencyPerHost };
  const agent = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  const guards = new Map<string, HostGuard>();
  const hedges = new Map<UpstreamSource, HedgeController>();
  const hedgeFor = (source: UpstreamSource) => {
    let hedge = hedges.get(source);
    if (!hedge) {
      hedge = new HedgeController(policy.hedge);
      hedges.set(source, hedge);
    }
    return hedge;
  };

  const finishAttempt = (call: CallState, outcome: AttemptOutcome) => {
    if (call.attemptStartedAt === null) return;
    const durationMs = performance.now() - call.attemptStartedAt;
    const final = call.signal.aborted ? 'cancelled' : outcome;
    const attempt: UpstreamAttempt = { source: call.source, outcome: final, durationMs };
    onAttempt(attempt);
    call.onAttempt?.(attempt);
    if (final === 'ok') hedgeFor(call.source).observe(durationMs);
    call.attemptStartedAt = null;
  };

  // got calls this once for every failed attempt, retryable or not, before it waits.
  const calculateDelay = ({ attemptCount, error, computedValue, retryAfter }: RetryObject): number => {
    const call = error.options.context[CALL] as CallState;
    finishAttempt(call, error instanceof TimeoutError ? 'timeout' : 'error');
    // got's own rules (limit, method, status, error code, Retry-After over the cap) said no.
    if (computedValue === 0) return 0;
    if (error instanceof TimeoutError && !call.retryTimeouts) return 0;
    const delay = retryAfter ? computedValue : backoffDelay(policy, attemptCount);
    if (performance.now() + delay + MIN_ATTEMPT_MS > call.deadline) return 0;
    call.progress.retrying = true;
    return delay;
  };

  const client: Got = got.extend({
    agent,
    timeout: { request: policy.timeoutMs },
    headers: { accept: 'application/json', 'user-agent': 'gatherql' },
    retry: {
      limit: policy.retryLimit,
      methods: ['GET'],
      statusCodes: [408, 429, ...SERVER_ERRORS],
      errorCodes: ['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'],
      maxRetryAfter: policy.maxRetryAfterMs,
      calculateDelay,
    },
    hooks: {
      beforeRequest: [
        (requestOptions) => {
          const call = requestOptions.context[CALL] as CallState;
          const now = performance.now();
          call.attemptStartedAt = now;
          // A late attempt (after queueing or backoff) gets only what is left of the budget.
          requestOptions.timeout.request = Math.max(1, Math.min(policy.timeoutMs, call.deadline - now));
        },
      ],
    },
  });

  const guardFor = (host: string) => {
    let guard = guards.get(host);
    if (!guard) {
      guard = createHostGuard(host, policy.concurrencyPerHost, policy.breaker, options.onCircuitChange);
      guards.set(host, guard);
    }
    return guard;
  };

  const cancelled = (what: string, cause?: unknown) =>
    new UpstreamError('UNAVAILABLE', `${what}: cancelled, another attempt answered first`, { cause, hostFailure: false });

  /** One call with its retries, under the host's guard; the signal aborts it when a hedge answered first. */
  const attempt = <T>(request: GetJsonRequest<T>, deadline: number, signal: AbortSignal, sent: () => void, progress = { retrying: false }): Promise<T> =>
    guardFor(request.url.host).run(async () => {
      if (signal.aborted) throw cancelled(request.what);
      if (performance.now() + MIN_ATTEMPT_MS > deadline) {
        // Waited for a free connection until no time was left: the host is busy, not down.
        throw new UpstreamError('TIMEOUT', `${request.what} did not answer in time`, { hostFailure: false });
      }
      const call: CallState = {
        source: request.source,
        deadline,
        retryTimeouts: request.retryTimeouts ?? true,
        signal,
        progress,
        attemptStartedAt: null,
        onAttempt: request.onAttempt,
      };
      let text: string;
      let tooLarge = false;
      try {
        sent();
        const response = client.get(request.url, { context: { [CALL]: call }, signal });
        response.on('downloadProgress', ({ transferred }) => {
          if (transferred > policy.maxResponseBytes && !tooLarge) {
            tooLarge = true;
            response.cancel();
          }
        });
        text = await response.text();
      } catch (error) {
        finishAttempt(call, error instanceof TimeoutError ? 'timeout' : 'error');
        // An aborted loser says nothing about the host: it must not count against its circuit.
        if (signal.aborted) throw cancelled(request.what, error);
        if (tooLarge) {
          throw new UpstreamError('BAD_RESPONSE', `${request.what} answered with a body over ${policy.maxResponseBytes} bytes`, { cause: error, hostFailure: true });
        }
        throw toUpstreamError(error, request.what);
      }
      try {
        const value = request.parse(parseJson(text, request.what));
        finishAttempt(call, 'ok');
        return value;
      } catch (error) {
        finishAttempt(call, 'error');
        throw toUpstreamError(error, request.what);
      }
    }, request.what);

  return {
    getJson<T>(request: GetJsonRequest<T>): Promise<T> {
      const deadline = request.deadline ?? performance.now() + policy.budgetMs;
      const hedge = hedgeFor(request.source);
      const first = { retrying: false };
      let started = 0;
      return hedged(
        (signal, sent) => attempt(request, deadline, signal, sent, (started += 1) === 1 ? first : undefined),
        hedge.delayForNewCall(),
        () => {
          // A call that is failing is being retried already: hedges are for slowness, not for failures.
          if (first.retrying || performance.now() + MIN_ATTEMPT_MS > deadline || !hedge.trySpend()) return false;
          options.onHedge?.(request.source);
          return true;
        },
      );
    },
    circuits() {
      return Object.fromEntries([...guards].map(([host, guard]) => [host, guard.state]));
    },
    close() {
      for (const guard of guards.values()) guard.close();
      guards.clear();
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UpstreamError('BAD_RESPONSE', `${what} answered with a body that is not JSON`, { cause: error, hostFailure: true });
  }
}
