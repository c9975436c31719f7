import type { AttemptListener, CallContext, RetryMode } from './http.js';
import type { BatchSpan, CallTrace } from './trace.js';
import { UpstreamError } from './upstream-error.js';

/**
 * One call for several keys, as a source makes it: asks the upstream for `keys` in one call,
 * and answers a value or an Error per key, in key order. Throws when the upstream refused or
 * failed the call as a whole.
 */
export type BatchCall<V> = (keys: readonly string[], context: CallContext & { retry: RetryMode }) => Promise<(V | Error)[]>;

export interface BatcherOptions<V> {
  call: BatchCall<V>;
  /** Most keys in one call. */
  cap: number;
  /** Names a call's span when it answers look-ups of several traces, e.g. "forecast". */
  name?: string;
}

export interface Batcher<V> {
  /**
   * The value of `key`, asked for together with every other key loaded in the same turn of
   * the event loop, by any caller. The context's deadline, signal and listener are the key's
   * caller's: a call ends when none of its keys is waited for any longer.
   */
  load(key: string, context?: CallContext): Promise<V>;
}

interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
  context: CallContext;
}

/**
 * Process-wide: the keys asked for in one turn go out in as few calls as the cap allows. No
 * cache of its own (a keyed cache in front of it is the cache). When a call fails as a whole:
 * - the upstream answered but refused it or garbled it (a 4xx, a body of the wrong shape),
 *   which one bad key can cause (Open-Meteo answers 400 for a call with one invalid
 *   coordinate): the keys are split in halves, each asked once, until the bad one is alone.
 *   One bad key costs at most 2 x ceil(log2 n) more calls, and fails alone;
 * - it timed out: each key is asked alone, at once (one more round, not log2 n of them);
 * - the host is failing (a 5xx after retries, a refused connection) or the call was refused
 *   for the caller's sake (429, quota, open circuit, deadline): every key gets that answer.
 *   Asking again in pieces would get it too, and would multiply the calls to a host that is
 *   down.
 */
export function createBatcher<V>({ call, cap, name = 'upstream' }: BatcherOptions<V>): Batcher<V> {
  let queued = new Map<string, Waiter<V>[]>();
  let scheduled = false;

  const dispatch = () => {
    scheduled = false;
    const batch = queued;
    queued = new Map();
    const keys = [...batch.keys()];
    for (let at = 0; at < keys.length; at += cap) {
      const chunk = keys.slice(at, at + cap);
      void run(chunk, batch, chunk.length > 1 ? 'no-timeouts' : 'all');
    }
  };

  /**
   * Asks for `keys` in one call, and splits it as the failure says; settles every waiter of
   * the keys. `parent` is the failure of the call this one was split from.
   */
  const run = async (keys: readonly string[], waiters: Map<string, Waiter<V>[]>, retry: RetryMode, parent?: unknown): Promise<void> => {
    const all = keys.flatMap((key) => waiters.get(key)!);
    const { batch, ...context } = contextOf(
      all.map((waiter) => waiter.context),
      { name, keys: keys.length },
    );
    let results: (V | Error)[];
    try {
      results = await call(keys, { ...context, retry });
      if (results.length !== keys.length) throw new Error(`a batch call answered ${results.length} values for ${keys.length} keys`);
      batch?.end();
    } catch (error) {
      batch?.end(error);
      const split = keys.length > 1 ? splitFor(error) : 'none';
      if (split === 'halves') {
        const middle = Math.ceil(keys.length / 2);
        await Promise.all([run(keys.slice(0, middle), waiters, 'none', error), run(keys.slice(middle), waiters, 'none', error)]);
      } else if (split === 'singly') {
        await Promise.all(keys.map((key) => run([key], waiters, 'all', error)));
      } else {
        // A part refused for the caller's sake (the circuit opened meanwhile, the quota ran out)
        // learnt nothing of its keys: they keep the failure of the call they were split from.
        const failure = parent !== undefined && error instanceof UpstreamError && error.origin === 'caller' ? parent : error;
        for (const waiter of all) waiter.reject(failure);
      }
      return;
    }
    keys.forEach((key, index) => {
      const result = results[index];
      for (const waiter of waiters.get(key)!) result instanceof Error ? waiter.reject(result) : waiter.resolve(result as V);
    });
  };

  return {
    load(key, context = {}) {
      return new Promise<V>((resolve, reject) => {
        const waiters = queued.get(key);
        const waiter = { resolve, reject, context };
        if (waiters) waiters.push(waiter);
        else queued.set(key, [waiter]);
        if (!scheduled) {
          scheduled = true;
          // setImmediate rather than a microtask: it also gathers the keys of requests whose
          // earlier answers (geocoding) arrived in the same I/O phase, at no measurable cost.
          setImmediate(dispatch);
        }
      });
    },
  };
}

type Split = 'halves' | 'singly' | 'none';

function splitFor(error: unknown): Split {
  if (!(error instanceof UpstreamError)) return 'halves';
  if (error.origin === 'answer') return 'halves';
  if (error.origin === 'time') return 'singly';
  return 'none';
}

/**
 * The context of one call made for several waiters: the latest deadline (no waiter is cut
 * short by another's), a signal that aborts once every waiter has given up, every waiter's
 * listener (a call shared by two requests counts for both), the largest quota share (a call
 * a request waits for spends as the request's), and a trace linked to every traced waiter's
 * (`batch`, which the caller ends).
 */
function contextOf(contexts: readonly CallContext[], facts: { name: string; keys: number }): CallContext & { batch?: BatchSpan } {
  const deadline = contexts.every((context) => context.deadline !== undefined) ? Math.max(...contexts.map((context) => context.deadline!)) : undefined;
  const listeners = [...new Set(contexts.flatMap((context) => (context.onAttempt ? [context.onAttempt] : [])))];
  const onAttempt: AttemptListener | undefined =
    listeners.length === 0
      ? undefined
      : listeners.length === 1
        ? listeners[0]
        : (attempt) => {
            for (const listener of listeners) listener(attempt);
          };
  const quotaShare = contexts.every((context) => context.quotaShare !== undefined) ? Math.max(...contexts.map((context) => context.quotaShare!)) : undefined;
  // In the background lane only when no waiter is a request: a call a request waits for starts at once.
  const lane = contexts.every((context) => context.lane) ? contexts[0]!.lane : undefined;
  const traces = [...new Set(contexts.flatMap((context) => (context.trace ? [context.trace] : [])))];
  const batch = traces.length > 1 ? traces[0]!.batch(traces, facts) : undefined;
  const trace: CallTrace | undefined = batch ?? traces[0];
  return {
    ...(deadline !== undefined && { deadline }),
    ...(quotaShare !== undefined && { quotaShare }),
    ...(lane && { lane }),
    ...(onAttempt && { onAttempt }),
    ...abandonedByAll(contexts),
    ...(trace && { trace }),
    ...(batch && { batch }),
  };
}

/** A signal aborted once every context's signal is; none when some context cannot be abandoned. */
function abandonedByAll(contexts: readonly CallContext[]): { signal?: AbortSignal } {
  const signals = contexts.map((context) => context.signal);
  if (signals.some((signal) => signal === undefined)) return {};
  const controller = new AbortController();
  let left = signals.length;
  for (const signal of signals as AbortSignal[]) {
    const leave = () => {
      left -= 1;
      if (left === 0) controller.abort();
    };
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
  }
  return { signal: controller.signal };
}
