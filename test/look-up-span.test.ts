import { describe, expect, it } from 'vitest';
import { inLookUpSpan, type LookUpSpan, type LookUpTracer } from '../sources/kit/trace.js';

// The kit's one piece of tracing logic: a look-up runs in a span of its own when its caller
// traces, and the span ends with the answer's freshness or with the failure.

function recordingTracer() {
  const ended: { cache: string; key: string; result: unknown }[] = [];
  const started: LookUpSpan[] = [];
  const tracer: LookUpTracer = {
    lookUp(cache, key) {
      const span = {
        event() {},
        follows() {},
        end: (result: unknown) => void ended.push({ cache, key, result }),
        calls: {
          attempt: () => ({ headers: {}, end() {} }),
          batch: () => ({ attempt: () => ({ headers: {}, end() {} }), batch: () => undefined as never, end() {} }),
        },
      } as LookUpSpan;
      started.push(span);
      return span;
    },
  };
  return { tracer, started, ended };
}

describe('a look-up in a span', () => {
  it('runs without a span when its caller does not trace', async () => {
    const spans: (LookUpSpan | undefined)[] = [];
    const value = { freshness: { state: 'LIVE' as const } };
    expect(
      await inLookUpSpan(undefined, 'places', 'oslo', async (span) => {
        spans.push(span);
        return value;
      }),
    ).toBe(value);
    expect(spans).toEqual([undefined]);
  });

  it('hands the look-up the span its tracer started for the cache and key, and ends it with the freshness of the answer', async () => {
    const { tracer, started, ended } = recordingTracer();
    const value = { freshness: { state: 'STALE' as const } };
    let given: LookUpSpan | undefined;
    const answer = await inLookUpSpan(tracer, 'weather', '59.91,10.75', async (span) => {
      given = span;
      // Not ended while the look-up runs.
      expect(ended).toEqual([]);
      return value;
    });
    expect(answer).toBe(value);
    expect(given).toBe(started[0]);
    expect(ended).toEqual([{ cache: 'weather', key: '59.91,10.75', result: { state: 'STALE' } }]);
  });

  it('ends the span with the failure, and fails with the same error', async () => {
    const { tracer, ended } = recordingTracer();
    const failure = new Error('upstream down');
    await expect(inLookUpSpan(tracer, 'places', 'x', async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(ended).toEqual([{ cache: 'places', key: 'x', result: { error: failure } }]);
  });
});
