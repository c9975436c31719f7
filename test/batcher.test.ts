import { describe, expect, it } from 'vitest';
import type { BackgroundLane } from '../sources/kit/background-lane.js';
import { type BatchCall, createBatcher } from '../sources/kit/batcher.js';
import type { CallContext, RetryMode, UpstreamAttempt } from '../sources/kit/http.js';
import type { CallTrace } from '../sources/kit/trace.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';

/**
 * An upstream of numbers that refuses a whole call (400) when it holds a key starting with
 * "bad", as Open-Meteo refuses a call with one invalid coordinate. Records every call.
 */
function refusingUpstream(refusal = () => new UpstreamError('UPSTREAM_BAD_RESPONSE', 'HTTP 400')) {
  const calls: { keys: string[]; retry: RetryMode; context: CallContext }[] = [];
  const call: BatchCall<number> = async (keys, { retry, ...context }) => {
    calls.push({ keys: [...keys], retry, context });
    context.onAttempt?.({ source: 'test', outcome: 'ok', durationMs: 5 });
    if (keys.some((key) => key.startsWith('bad'))) throw refusal();
    return keys.map((key) => Number(key.replace(/\D/g, '')));
  };
  return { call, calls };
}

const keys = (n: number, bad: number[] = []) => Array.from({ length: n }, (_, index) => (bad.includes(index) ? `bad ${index}` : `k${index}`));

describe('batcher', () => {
  it('sends the keys of one turn in one call, up to the cap, and each key gets its own value', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const values = await Promise.all(keys(45).map((key) => batcher.load(key)));
    expect(values).toEqual(Array.from({ length: 45 }, (_, index) => index));
    expect(calls.map((item) => item.keys.length)).toEqual([20, 20, 5]);
    expect(calls.map((item) => item.retry)).toEqual(['no-timeouts', 'no-timeouts', 'no-timeouts']);
  });

  it('asks for a key loaded twice in one turn once', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    expect(await Promise.all([batcher.load('k1'), batcher.load('k1'), batcher.load('k2')])).toEqual([1, 1, 2]);
    expect(calls.map((item) => item.keys)).toEqual([['k1', 'k2']]);
  });

  it.each([
    [2, [1]],
    [3, [0]],
    [16, [5]],
    [20, [19]],
    [20, [0]],
    [17, [8]],
  ])('isolates one bad key of %i by halving: at most 2 x ceil(log2 n) more calls, and only that key fails', async (n, bad) => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const results = await Promise.allSettled(keys(n, bad).map((key) => batcher.load(key)));
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [index] : []));
    expect(failed).toEqual(bad);
    expect(calls.length - 1).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    // The split is the retry: the halves are asked once each.
    expect(calls.slice(1).every((item) => item.retry === 'none')).toBe(true);
  });

  it('isolates two bad keys too, failing only those', async () => {
    const { call } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const results = await Promise.allSettled(keys(20, [3, 14]).map((key) => batcher.load(key)));
    expect(results.flatMap((result, index) => (result.status === 'rejected' ? [index] : []))).toEqual([3, 14]);
  });

  it('asks each key alone, at once, after a call that timed out', async () => {
    const { call, calls } = refusingUpstream(() => new UpstreamError('UPSTREAM_TIMEOUT', 'no answer in time'));
    const batcher = createBatcher({ call, cap: 20 });
    const results = await Promise.allSettled(keys(8, [2]).map((key) => batcher.load(key)));
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(calls.map((item) => item.keys.length)).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(calls.slice(1).every((item) => item.retry === 'all')).toBe(true);
  });

  it.each([
    ['a 429', new UpstreamError('RATE_LIMITED', 'HTTP 429')],
    ['a spent quota', new UpstreamError('QUOTA_EXHAUSTED', 'budget spent')],
    ['an open circuit', new UpstreamError('UPSTREAM_UNAVAILABLE', 'not calling it', { origin: 'caller' })],
    ['a 5xx after retries (the host is failing)', new UpstreamError('UPSTREAM_UNAVAILABLE', 'HTTP 503')],
  ])('does not split a call refused for the caller’s or the host’s sake (%s): every key gets that answer', async (_name, refusal) => {
    const { call, calls } = refusingUpstream(() => refusal);
    const batcher = createBatcher({ call, cap: 20 });
    const results = await Promise.allSettled(keys(6, [0]).map((key) => batcher.load(key)));
    expect(results.every((result) => result.status === 'rejected' && result.reason === refusal)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('gives a call the latest deadline of its keys, tells every key’s listener of its attempts, and aborts it only when every key is abandoned', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const heard = { a: [] as UpstreamAttempt[], b: [] as UpstreamAttempt[] };
    const a = new AbortController();
    const b = new AbortController();
    await Promise.all([
      batcher.load('k1', { deadline: 100, signal: a.signal, onAttempt: (attempt) => heard.a.push(attempt) }),
      batcher.load('k2', { deadline: 300, signal: b.signal, onAttempt: (attempt) => heard.b.push(attempt) }),
    ]);
    expect(calls[0]!.context.deadline).toBe(300);
    expect(heard.a).toEqual([{ source: 'test', outcome: 'ok', durationMs: 5 }]);
    expect(heard.b).toEqual(heard.a);
    const signal = calls[0]!.context.signal!;
    a.abort();
    expect(signal.aborted).toBe(false);
    b.abort();
    expect(signal.aborted).toBe(true);
  });

  it('sends a call in the background lane, with the largest quota share, only when every key is background work', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const lane: BackgroundLane = (attempt) => attempt(undefined);
    await Promise.all([batcher.load('k1', { lane, quotaShare: 0.5 }), batcher.load('k2', { lane, quotaShare: 0.25 })]);
    expect(calls[0]!.context.lane).toBe(lane);
    expect(calls[0]!.context.quotaShare).toBe(0.5);
    // A request waits for the next call too: it goes out at once, and may spend the whole quota.
    await Promise.all([batcher.load('k1', { lane, quotaShare: 0.5 }), batcher.load('k2')]);
    expect(calls[1]!.context.lane).toBeUndefined();
    expect(calls[1]!.context.quotaShare).toBeUndefined();
  });

  it('keeps nothing for a later batch: a key asked again is asked again, and heard by its own caller only', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 1 });
    const heard: UpstreamAttempt[] = [];
    await Promise.all([batcher.load('k1', { onAttempt: (attempt) => heard.push(attempt) }), batcher.load('k2')]);
    expect(calls).toHaveLength(2);
    expect(heard).toHaveLength(1);
    await batcher.load('k1');
    expect(calls).toHaveLength(3);
    expect(heard).toHaveLength(1);
  });

  it('asks a key that is alone in its call with every retry, a call of several with all but timeouts', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 2 });
    await Promise.all(keys(3).map((key) => batcher.load(key)));
    expect(calls.map((item) => [item.keys.length, item.retry])).toEqual([
      [2, 'no-timeouts'],
      [1, 'all'],
    ]);
  });

  it('fails the keys of a call that answered a value too few, with the reason, rather than handing out values to the wrong keys', async () => {
    const calls: string[][] = [];
    const batcher = createBatcher<number>({
      cap: 20,
      call: async (asked) => {
        calls.push([...asked]);
        return asked.slice(1).map(() => 1);
      },
    });
    const results = await Promise.allSettled([batcher.load('a'), batcher.load('b')]);
    expect(results.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual([
      'a batch call answered 0 values for 1 keys',
      'a batch call answered 0 values for 1 keys',
    ]);
    // A failure that is not the upstream's is asked again in halves, like a refused call.
    expect(calls).toEqual([['a', 'b'], ['a'], ['b']]);
  });

  it('gives the keys of a half refused for the caller’s sake the failure of the call it was split from', async () => {
    const first = new UpstreamError('UPSTREAM_BAD_RESPONSE', 'HTTP 400');
    const refused = new UpstreamError('QUOTA_EXHAUSTED', 'budget spent');
    const failing = new UpstreamError('UPSTREAM_BAD_RESPONSE', 'HTTP 400 again');
    const alone = new UpstreamError('UPSTREAM_BAD_RESPONSE', 'HTTP 400, the bad key alone');
    const batcher = createBatcher<number>({
      cap: 20,
      call: async (asked) => {
        if (asked.length === 4) throw first;
        // The first half finds the quota spent; the second half holds the bad key.
        if (asked.includes('k0')) throw refused;
        // Its own failure, not its parent's: only a part refused for the caller's sake takes the parent's.
        if (asked.length === 1 && asked[0] === 'bad 3') throw alone;
        if (asked.includes('bad 3')) throw failing;
        return asked.map(() => 1);
      },
    });
    const results = await Promise.allSettled(keys(4, [3]).map((key) => batcher.load(key)));
    expect(results.map((result) => (result.status === 'rejected' ? result.reason : result.value))).toEqual([first, first, 1, alone]);
  });

  it('leaves a call without a deadline, a signal or a listener when one of its keys has none', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const listener = () => {};
    await Promise.all([batcher.load('k1', { deadline: 100, signal: new AbortController().signal, onAttempt: listener }), batcher.load('k2')]);
    expect(calls[0]!.context).not.toHaveProperty('deadline');
    expect(calls[0]!.context).not.toHaveProperty('signal');
    // One listener is passed as it is; none, not at all.
    expect(calls[0]!.context.onAttempt).toBe(listener);
    await Promise.all([batcher.load('k1'), batcher.load('k2')]);
    expect(calls[1]!.context).toStrictEqual({});
  });

  it('counts a key abandoned before its call as given up', async () => {
    const { call, calls } = refusingUpstream();
    const batcher = createBatcher({ call, cap: 20 });
    const gone = new AbortController();
    gone.abort();
    const waiting = new AbortController();
    await Promise.all([batcher.load('k1', { signal: gone.signal }), batcher.load('k2', { signal: waiting.signal })]);
    const signal = calls[0]!.context.signal!;
    expect(signal.aborted).toBe(false);
    waiting.abort();
    expect(signal.aborted).toBe(true);
  });

  it('traces a call shared by traced keys in a batch span linked to each, named and counted, and ends it with the outcome', async () => {
    const made: { traces: readonly CallTrace[]; facts: { name: string; keys: number }; ended: unknown[] }[] = [];
    const traceOf = (): CallTrace => ({
      attempt: () => ({ headers: {}, end() {} }),
      batch(traces, facts) {
        const span = { traces, facts, ended: [] as unknown[] };
        made.push(span);
        return { ...traceOf(), end: (error?: unknown) => void span.ended.push(error ?? 'ok') };
      },
    });
    const [a, b] = [traceOf(), traceOf()];
    const contexts: CallContext[] = [];
    const refusal = new UpstreamError('RATE_LIMITED', 'HTTP 429');
    const upstream = (fails: boolean) => async (asked: readonly string[], context: CallContext) => {
      contexts.push(context);
      if (fails) throw refusal;
      return asked.map(() => 1);
    };
    const batcher = createBatcher<number>({ cap: 20, call: upstream(false) });
    await Promise.all([batcher.load('k1', { trace: a }), batcher.load('k2', { trace: b }), batcher.load('k3', { trace: a })]);
    expect(made).toHaveLength(1);
    expect(made[0]!.traces).toEqual([a, b]);
    expect(made[0]!.facts).toEqual({ name: 'upstream', keys: 3 });
    expect(made[0]!.ended).toEqual(['ok']);
    // The call is traced in the batch span, which the call itself never ends.
    expect(contexts[0]!.trace).not.toBe(a);
    expect(contexts[0]!.trace).not.toBe(b);
    expect(contexts[0]!).not.toHaveProperty('batch');

    const named = createBatcher<number>({ cap: 20, name: 'forecast', call: upstream(true) });
    // One traced key: its own trace, no batch span.
    await Promise.allSettled([named.load('k1', { trace: a }), named.load('k2')]);
    expect(contexts[1]!.trace).toBe(a);
    expect(made).toHaveLength(1);
    await Promise.allSettled([named.load('k1', { trace: a }), named.load('k2', { trace: b })]);
    expect(made[1]!.facts).toEqual({ name: 'forecast', keys: 2 });
    expect(made[1]!.ended).toEqual([refusal]);
  });
});
