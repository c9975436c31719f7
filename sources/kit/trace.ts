import type { FreshnessState } from './freshness.js';
import type { AttemptOutcome, CacheEvent } from './events.js';

// How the kit reports its work to a trace, without knowing what records it: the gateway's
// tracing (tracing/) implements these with OpenTelemetry when it is on. When it is off none
// of them exists, and the kit's only cost is reading an absent property.

/** Starts the spans of one caller's look-ups (a request's, parented where it is in its work). */
export interface LookUpTracer {
  lookUp(cache: string, key: string): LookUpSpan;
}

/** One look-up in an upstream cache: what the cache did, and the calls it made. */
export interface LookUpSpan {
  /** What the cache did for it (hit, miss, joined, stale, refresh): on a look-up there may be two. */
  event(event: CacheEvent): void;
  /** It is linked to another look-up: the one whose load it waits for (`joined`), or, for a refresh, the one that found the value stale. */
  follows(other: LookUpSpan): void;
  /** It answered, with a value this fresh, or failed. */
  end(result: { state: FreshnessState } | { error: unknown }): void;
  /** Where the upstream calls made for this look-up alone belong. */
  readonly calls: CallTrace;
}

/** Where the attempts of one upstream call belong. */
export interface CallTrace {
  /** Starts the span of one HTTP attempt, just before it is sent. */
  attempt(facts: AttemptFacts): AttemptSpan;
  /**
   * The trace of one call made for several look-ups together (a batch): its attempts are
   * linked to every look-up it answers, never parented by two. Ended by whoever made it.
   */
  batch(traces: readonly CallTrace[], facts: { name: string; keys: number }): BatchSpan;
}

export interface BatchSpan extends CallTrace {
  end(error?: unknown): void;
}

export interface AttemptFacts {
  /** The source's name, e.g. "forecast". */
  source: string;
  method: 'GET';
  url: URL;
  /** 0 for a call's first attempt, 1 for its first retry… */
  resendCount: number;
  /** The second attempt of a slow call (see hedged()). */
  hedge: boolean;
}

/** One HTTP attempt under way. */
export interface AttemptSpan {
  /** W3C trace context (`traceparent`, maybe `tracestate`) to send with the attempt. */
  readonly headers: Record<string, string>;
  /** The attempt ended: how, the HTTP status when one arrived, and the error when it failed. */
  end(result: { outcome: AttemptOutcome; status?: number; error?: unknown }): void;
}

/**
 * Runs one look-up in a span of its own when the caller traces (`tracer` present): the span
 * ends with the freshness of the answer, or with the failure.
 */
export function inLookUpSpan<T extends { freshness: { state: FreshnessState } }>(
  tracer: LookUpTracer | undefined,
  cache: string,
  key: string,
  lookUp: (span?: LookUpSpan) => Promise<T>,
): Promise<T> {
  const span = tracer?.lookUp(cache, key);
  if (!span) return lookUp();
  return lookUp(span).then(
    (cached) => {
      span.end({ state: cached.freshness.state });
      return cached;
    },
    (error: unknown) => {
      span.end({ error });
      throw error;
    },
  );
}
