import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HedgeController, hedged } from './hedging.js';
import { type CircuitChange, type CircuitState, createHostGuard } from './host-guard.js';
import type { Quota, QuotaShare, QuotaWindow } from './quota.js';
import type { AttemptOutcome } from './events.js';
import type { CallTrace } from './trace.js';
import type { BackgroundLane } from './background-lane.js';
import type { AttemptToSend, BackgroundThread, SentAnswer } from './background-thread.js';
import { attemptClient, BodyTooLarge, keepAliveAgents, sendAttempt } from './got-attempt.mjs';
import { AttemptFailure, connectionCode, deadlinePassed, statusError, timedOut, toUpstreamError, UpstreamError } from './upstream-error.js';
import { backoffDelay, MIN_ATTEMPT_MS, type UpstreamPolicy } from './upstream-policy.js';

/** One HTTP attempt that was sent, as the metrics (and Server-Timing) see it. */
export interface UpstreamAttempt {
  source: string;
  outcome: AttemptOutcome;
  durationMs: number;
  /** Node's code for an attempt that got no answer because the connection failed (ECONNREFUSED, ENOTFOUND…). */
  errorCode?: string;
}

/** Hears of each attempt as it ends: the metrics, or one request's Server-Timing. */
export type AttemptListener = (attempt: UpstreamAttempt) => void;

/** What the gateway wants to hear of all upstream traffic (its metrics and logs). */
export interface UpstreamObservers {
  onAttempt?: AttemptListener;
  /** A slow call got a second attempt (see HedgePolicy); its attempts are reported by onAttempt too. */
  onHedge?: (source: string) => void;
  onCircuitChange?: (change: CircuitChange) => void;
}

/** One upstream API as the client knows it; registered once, by the service built on it. */
export interface SourceSpec {
  /** Names the source in metrics and logs, e.g. "forecast". */
  name: string;
  /** Names it in error messages, e.g. "The forecast service". */
  what: string;
  /** Where it is, e.g. https://api.open-meteo.com: its host names the circuit in the logs. */
  baseUrl: string;
  policy: UpstreamPolicy;
  /** Sent with every call, e.g. an API key. Never logged, never in an error. */
  headers?: Record<string, string>;
  /** The budget this source spends from; sources of one API family may share one. */
  quota?: Quota;
  /** For a 429: the quota window its body names, so that the window closes until it resets. */
  limitedWindow?: (body: string) => QuotaWindow | null;
}

/** Which failed attempts are tried again: all the policy retries, all but timeouts, or none. */
export type RetryMode = 'all' | 'no-timeouts' | 'none';

/** Who a call is for: when it must be done by, who gives up on it, who hears of its attempts. */
export interface CallContext {
  /**
   * `performance.now()` after which no attempt or retry starts (the caller's deadline). An
   * attempt under way is not cut short by it: the caller aborts it through `signal` when
   * nobody waits for it any longer. The policy's budget bounds both in any case.
   */
  deadline?: number;
  /** Aborts the call: nobody waits for its answer any longer. */
  signal?: AbortSignal;
  onAttempt?: AttemptListener;
  /** Where the call's attempts are traced (each sends its trace context); absent when tracing is off. */
  trace?: CallTrace;
  /** The share of each quota window this call may spend up to (see QuotaShare); absent: all of it. */
  quotaShare?: QuotaShare;
  /** Where the call's attempts go out (see Caller.lane); absent: each starts at once. */
  lane?: BackgroundLane;
}

export interface GetJsonRequest<T> {
  url: URL;
  /** Checks the parsed body; throws UpstreamError('UPSTREAM_BAD_RESPONSE') when it is not the documented shape. */
  parse: (body: unknown) => T;
  /** Units of the source's quota each attempt spends (an Open-Meteo call: one per location). Default 1. */
  weight?: number;
  context?: CallContext;
  retry?: RetryMode;
  /** The answer a 404 stands for, for an API that says "none of these exist" that way; by default a 404 is a bad response. */
  onNotFound?: () => T;
  /**
   * Reads an answer that is not 2xx where the API gives a status a meaning of its own (REST
   * Countries: 401 a refused key, 403 a frozen quota): the error to fail with, never retried,
   * or null to leave the status to the kit.
   */
  onRefusal?: (status: number, body: string) => UpstreamError | null;
}

export interface Source {
  readonly name: string;
  readonly what: string;
  getJson<T>(request: GetJsonRequest<T>): Promise<T>;
}

export interface UpstreamHttp {
  /** Registers an upstream API with its own policy; each source has its own circuit, cap and hedging. */
  source(spec: SourceSpec): Source;
  /** Circuit state per registered source, for diagnostics and tests. */
  circuits(): Record<string, CircuitState>;
  close(): void;
}

/** The one HTTP client for every upstream of a gateway: made by the gateway factory, closed by its close(). */
export function createUpstreamHttp(observers: UpstreamObservers = {}): UpstreamHttp {
  const sources = new Map<string, ReturnType<typeof createSource>>();

  return {
    source(spec) {
      if (sources.has(spec.name)) throw new Error(`upstream source ${spec.name} is registered twice`);
      const registered = createSource(spec, observers);
      sources.set(spec.name, registered);
      return registered.source;
    },
    circuits: () => Object.fromEntries([...sources].map(([name, { guard }]) => [name, guard.state])),
    close() {
      for (const source of sources.values()) source.close();
      sources.clear();
    },
  };
}

// A 429 is read apart (failedStatus): its Retry-After and the quota window it names decide.
const RETRIED_STATUSES = (status: number) => status === 408 || status >= 500;

function createSource(spec: SourceSpec, observers: UpstreamObservers) {
  const { policy, what, name } = spec;
  const agent = keepAliveAgents(policy.concurrencyPerHost);
  // One client for every source; retries, statuses and redirects are each source's to decide, attempt by attempt (see callOnce).
  const client = attemptClient.extend({ agent, ...(spec.headers && { headers: spec.headers }) });
  const guard = createHostGuard({
    source: name,
    host: new URL(spec.baseUrl).host,
    concurrency: policy.concurrencyPerHost,
    breaker: policy.breaker,
    onChange: observers.onCircuitChange,
  });
  const hedge = new HedgeController(policy.hedge);

  const report = (context: CallContext | undefined, outcome: AttemptOutcome, startedAt: number, error?: unknown) => {
    const errorCode = connectionCode(error);
    const attempt: UpstreamAttempt = { source: name, outcome, durationMs: performance.now() - startedAt, ...(errorCode && { errorCode }) };
    observers.onAttempt?.(attempt);
    context?.onAttempt?.(attempt);
    if (outcome === 'ok') hedge.observe(attempt.durationMs);
  };

  /** Sends one attempt from this thread, with got: its answer, or got's error (an AttemptFailure for a body over the cap). */
  const sendHere = async (attempt: AttemptToSend): Promise<SentAnswer> => {
    try {
      return await sendAttempt(client, attempt.url, attempt);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new AttemptFailure('too-large', undefined, error.message, { cause: error.cause });
      throw error;
    }
  };

  /**
   * One HTTP attempt under the host's cap: the parsed value, or an UpstreamError with what a
   * retry needs to know. It is sent from this thread, or from the background thread when the
   * call's lane has one.
   */
  const attemptOnce = <T>(
    request: GetJsonRequest<T>,
    { deadline, budgetEnd }: CallTimes,
    signal: AbortSignal,
    which: WhichAttempt,
    thread: BackgroundThread | undefined,
  ): Promise<T> =>
    guard.limit(async () => {
      if (signal.aborted) throw cancelled(what);
      const now = performance.now();
      if (now + MIN_ATTEMPT_MS > deadline) {
        // No time left to start (a wait for a free connection, or the caller's deadline): the host is not to blame.
        if (deadline < budgetEnd) throw deadlinePassed(what);
        throw new UpstreamError('UPSTREAM_TIMEOUT', `${what} did not answer in time`, { hostFailure: false });
      }
      const span = request.context?.trace?.attempt({ source: name, method: 'GET', url: request.url, ...which });
      const ended = (outcome: AttemptOutcome, status?: number, error?: unknown) => {
        report(request.context, outcome, now, error);
        span?.end({ outcome, ...(status !== undefined && { status }), ...(error !== undefined && { error }) });
      };
      let answer: SentAnswer;
      try {
        // A late attempt (after queueing or backoff) gets only what is left of the budget.
        const timeoutMs = Math.max(1, Math.min(policy.timeoutMs, budgetEnd - now));
        const attempt = { url: request.url, timeoutMs, maxBytes: policy.maxResponseBytes, maxSockets: policy.concurrencyPerHost, signal };
        answer = await (thread
          ? thread.send({ ...attempt, headers: span || spec.headers ? { ...spec.headers, ...span?.headers } : undefined })
          : sendHere({ ...attempt, headers: span?.headers }));
      } catch (error) {
        // An aborted attempt says nothing about the host: it must not count against its circuit.
        if (signal.aborted) {
          ended('cancelled', undefined, error);
          throw cancelled(what, error);
        }
        ended(timedOut(error) ? 'timeout' : 'error', undefined, error);
        if (error instanceof AttemptFailure && error.kind === 'too-large') {
          throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${what} answered with a body over ${policy.maxResponseBytes} bytes`, {
            cause: error,
            hostFailure: true,
          });
        }
        throw retryable(toUpstreamError(error, what), timedOut(error) || connectionCode(error) !== undefined);
      }
      const status = answer.status;
      if (status === 404 && request.onNotFound) {
        ended('ok', status);
        return request.onNotFound();
      }
      if (status < 200 || status >= 300) {
        ended('error', status);
        const refusal = request.onRefusal?.(status, answer.body);
        if (refusal) throw refusal;
        throw await failedStatus(status, answer.body, answer.retryAfter);
      }
      try {
        const value = request.parse(parseJson(answer.body, what));
        ended('ok', status);
        return value;
      } catch (error) {
        const failure = toUpstreamError(error, what);
        ended('error', status, failure);
        throw failure;
      }
    });

  /** What a non-2xx answer means, and whether and when it may be asked again. */
  const failedStatus = async (status: number, body: string, retryAfterHeader: string | undefined): Promise<UpstreamError> => {
    const retryAfterMs = parseRetryAfter(retryAfterHeader);
    if (status === 429) {
      const window = spec.quota && spec.limitedWindow?.(body);
      if (window) {
        // The upstream names the window it counts us against: no call goes out until it resets.
        await spec.quota!.close(window);
        return new UpstreamError('RATE_LIMITED', `${what} is rate limiting us for this ${window} (HTTP 429)`, {
          retryAfterSeconds: spec.quota!.secondsUntilReset(window),
        });
      }
      const retryAfterSeconds = retryAfterMs === null ? null : Math.ceil(retryAfterMs / 1000);
      // A Retry-After longer than the policy waits ends the call at once: the client hears when to come back.
      return retryable(statusError(429, what, { retryAfterSeconds }), retryAfterMs === null || retryAfterMs <= policy.maxRetryAfterMs, retryAfterMs);
    }
    return retryable(
      statusError(status, what),
      RETRIED_STATUSES(status),
      retryAfterMs !== null && retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : null,
    );
  };

  /** One attempt of a call, paid from the quota first; `sent` hears when it goes out. */
  const paidAttempt = async <T>(
    request: GetJsonRequest<T>,
    times: CallTimes,
    signal: AbortSignal,
    which: WhichAttempt,
    sent: (() => void) | undefined,
    thread?: BackgroundThread,
  ): Promise<T> => {
    // Nobody waits any longer (a report cancelled while its attempt waited in the lane): nothing to pay for.
    if (signal.aborted) throw cancelled(what);
    if (spec.quota) {
      const share = request.context?.quotaShare;
      const verdict = await spec.quota.take(request.weight ?? 1, share);
      if (!verdict.granted) {
        const budget = share === undefined ? `the gateway's ${verdict.window} budget` : `background work's share of the gateway's ${verdict.window} budget`;
        throw new UpstreamError('QUOTA_EXHAUSTED', `${what} was not called: ${budget} for ${spec.quota.name} is spent`, {
          hostFailure: false,
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      }
    }
    sent?.();
    return attemptOnce(request, times, signal, which, thread);
  };

  /** One call: attempts and retries within the deadline, each in the caller's lane when it has one. */
  const call = async <T>(
    request: GetJsonRequest<T>,
    times: CallTimes,
    signal: AbortSignal,
    sent: () => void,
    progress: { retrying: boolean },
    hedge: boolean,
  ): Promise<T> => {
    const mode = request.retry ?? 'all';
    const lane = request.context?.lane;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const which = { resendCount: attempt - 1, hedge };
        const first = attempt === 1 ? sent : undefined;
        return await (lane ? lane((thread) => paidAttempt(request, times, signal, which, first, thread)) : paidAttempt(request, times, signal, which, first));
      } catch (error) {
        const retry = RETRY.get(error as object);
        const mayRetry =
          retry?.allowed === true &&
          mode !== 'none' &&
          attempt <= policy.retryLimit &&
          !(mode === 'no-timeouts' && (error as UpstreamError).code === 'UPSTREAM_TIMEOUT');
        const delay = retry?.afterMs ?? backoffDelay(policy, attempt);
        if (!mayRetry || signal.aborted || performance.now() + delay + MIN_ATTEMPT_MS > times.deadline) throw error;
        progress.retrying = true;
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          throw cancelled(what);
        }
      }
    }
  };

  const source: Source = {
    name,
    what,
    getJson<T>(request: GetJsonRequest<T>): Promise<T> {
      const context = request.context;
      const budgetEnd = performance.now() + policy.budgetMs;
      const times: CallTimes = { budgetEnd, deadline: Math.min(context?.deadline ?? Number.POSITIVE_INFINITY, budgetEnd) };
      const first = { retrying: false };
      let started = 0;
      return hedged(
        (signal, sent) => {
          const both = context?.signal ? AbortSignal.any([signal, context.signal]) : signal;
          started += 1;
          const isFirst = started === 1;
          return guard.run(() => call(request, times, both, sent, isFirst ? first : { retrying: false }, !isFirst), what);
        },
        hedge.delayForNewCall(),
        () => {
          // A call that is failing is being retried already: hedges are for slowness, not for failures.
          if (first.retrying || context?.signal?.aborted || performance.now() + MIN_ATTEMPT_MS > times.deadline || !hedge.trySpend()) return false;
          observers.onHedge?.(name);
          return true;
        },
      );
    },
  };

  return {
    source,
    guard,
    close() {
      guard.close();
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

/** Which attempt of a call this is, for its trace: the how-manieth resend, and whether it is the hedge. */
interface WhichAttempt {
  resendCount: number;
  hedge: boolean;
}

/** When a call's attempts must be done: none starts after `deadline`, none runs past `budgetEnd` (both `performance.now()`). */
interface CallTimes {
  deadline: number;
  budgetEnd: number;
}

/** Whether a failed attempt may be tried again, and after how long when the upstream said. */
const RETRY = new WeakMap<object, { allowed: boolean; afterMs: number | null }>();
function retryable(error: UpstreamError, allowed: boolean, afterMs: number | null = null): UpstreamError {
  RETRY.set(error, { allowed, afterMs });
  return error;
}

const cancelled = (what: string, cause?: unknown) =>
  new UpstreamError('UPSTREAM_UNAVAILABLE', `${what}: cancelled, nobody waits for the answer any longer`, { cause, hostFailure: false, origin: 'caller' });

/** Retry-After in ms, as seconds or an HTTP date; null when absent or unreadable. */
function parseRetryAfter(header: string | undefined): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${what} answered with a body that is not JSON`, { cause: error, hostFailure: true });
  }
}
