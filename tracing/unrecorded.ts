import type { Span } from '@opentelemetry/api';
import type { AttemptSpan, BatchSpan, CallTrace, LookUpSpan } from '../sources/kit/trace.js';
import { traceHeaders } from './propagation.js';
import type { OperationTrace, PhaseSpan, RequestTrace } from './types.js';

// A request the sampler did not keep (OTEL_TRACES_SAMPLER_ARG below 1, or a caller's
// traceparent that says "not sampled") records nothing, so its work starts no span at all:
// at a ratio of 0.1, nine requests in ten cost almost what they cost with tracing off. Its
// upstream calls still carry its trace id and the decision, with its own span as the parent.

const NOTHING: PhaseSpan = { end: () => {} };

/** The call traces of unrecorded requests: a batch they share with a recorded look-up is that one's to record. */
const UNRECORDED = new WeakSet<CallTrace>();

/** The trace of a request whose span is not recorded: every span below it is left out. */
export function unrecordedRequest(span: Span): RequestTrace {
  let headers: Record<string, string> | undefined;
  const attempt: AttemptSpan = {
    get headers() {
      headers ??= traceHeaders(span);
      return headers;
    },
    end: () => {},
  };
  const calls: BatchSpan = {
    attempt: () => attempt,
    // A batch with a recorded look-up is recorded by it; one of unrecorded look-ups alone is not.
    batch: (traces, facts) => traces.find((trace) => !UNRECORDED.has(trace))?.batch(traces, facts) ?? calls,
    end: () => {},
  };
  UNRECORDED.add(calls);
  const lookUp: LookUpSpan = { calls, event: () => {}, follows: () => {}, end: () => {} };
  const operation: OperationTrace = { lookUp: () => lookUp, statement: () => {}, execute: () => NOTHING, identify: () => {} };
  return { phase: () => NOTHING, operation: () => operation, end: () => span.end() };
}
