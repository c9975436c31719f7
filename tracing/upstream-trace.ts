import { type Context, ROOT_CONTEXT, type Span, type SpanContext, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { FreshnessState } from '../sources/kit/freshness.js';
import type { CacheEvent } from '../sources/kit/events.js';
import type { AttemptFacts, AttemptSpan, BatchSpan, CallTrace, LookUpSpan } from '../sources/kit/trace.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import { errorType, markFailed } from './failure.js';
import { traceHeaders } from './propagation.js';
import { safeUrl } from './safe-url.js';

// The kit's look-ups, calls and attempts (sources/kit/trace.ts) as OpenTelemetry spans.

/** The gateway's own attribute names, beside the conventions'. */
const ATTR = {
  cacheName: 'gatherql.cache.name',
  cacheKey: 'gatherql.cache.key',
  /** What the cache did first: hit, miss, joined or stale. */
  cacheResult: 'gatherql.cache.result',
  freshness: 'gatherql.freshness',
  source: 'gatherql.upstream.source',
  outcome: 'gatherql.upstream.outcome',
  hedge: 'gatherql.upstream.hedge',
  batchKeys: 'gatherql.batch.keys',
  batchLookUps: 'gatherql.batch.look_ups',
} as const;

/** Starts the span of one look-up, under `parent` (the operation's span where the look-up began, or none). */
export function startLookUp(tracer: Tracer, parent: Context, cache: string, key: string): LookUpSpan {
  const span = tracer.startSpan(`look-up ${cache}`, { kind: SpanKind.INTERNAL, attributes: { [ATTR.cacheName]: cache, [ATTR.cacheKey]: key } }, parent);
  return new LookUp(tracer, { span, parent });
}

/** A look-up's span and the context it was started in. */
interface LookUpPlace {
  span: Span;
  parent: Context;
}

class LookUp implements LookUpSpan {
  #calls: Calls | undefined;
  #result: CacheEvent | undefined;

  constructor(
    private readonly tracer: Tracer,
    readonly place: LookUpPlace,
  ) {}

  /** Made on first use: most look-ups are hits, which call nobody. */
  get calls(): CallTrace {
    this.#calls ??= new Calls(this.tracer, trace.setSpan(this.place.parent, this.place.span), this.place);
    return this.#calls;
  }

  event(event: CacheEvent): void {
    // The first event is the look-up's result; a later one (a refresh after a stale answer) is a span event.
    if (this.#result === undefined) {
      this.#result = event;
      this.place.span.setAttribute(ATTR.cacheResult, event);
    } else {
      this.place.span.addEvent(`cache.${event}`);
    }
  }

  follows(other: LookUpSpan): void {
    this.place.span.addLink({ context: (other as LookUp).place.span.spanContext() });
  }

  end(result: { state: FreshnessState } | { error: unknown }): void {
    if ('state' in result) this.place.span.setAttribute(ATTR.freshness, result.state);
    else markFailed(this.place.span, errorType(result.error));
    this.place.span.end();
  }
}

/** Where a call's attempts go: under the one look-up it is for, or under a batch linked to several. */
class Calls implements CallTrace {
  constructor(
    protected readonly tracer: Tracer,
    /** The context the attempts are started in. */
    protected readonly context: Context,
    /** The look-up the call is for, when it is for one. */
    readonly lookUp?: LookUpPlace,
  ) {}

  attempt(facts: AttemptFacts): AttemptSpan {
    return startAttempt(this.tracer, this.context, facts);
  }

  /**
   * Look-ups begun at one place of one trace (the cities of one operation) share a batch span
   * there; look-ups of several requests share one in a trace of its own, linked to each of them,
   * and each of them is linked back to it, so that every request's trace leads to the call it
   * waited for.
   */
  batch(traces: readonly CallTrace[], facts: { name: string; keys: number }): BatchSpan {
    const places = (traces as readonly Calls[]).flatMap((calls) => (calls.lookUp ? [calls.lookUp] : []));
    const here = places[0] && trace.getSpanContext(places[0].parent);
    const together = here !== undefined && places.every((place) => sameSpan(trace.getSpanContext(place.parent), here));
    const span = this.tracer.startSpan(
      `${facts.name} batch`,
      {
        kind: SpanKind.INTERNAL,
        links: places.map((place) => ({ context: place.span.spanContext() })),
        attributes: { [ATTR.batchKeys]: facts.keys, [ATTR.batchLookUps]: traces.length },
      },
      together ? places[0]!.parent : ROOT_CONTEXT,
    );
    if (!together) for (const place of places) place.span.addLink({ context: span.spanContext() });
    return new Batch(this.tracer, trace.setSpan(ROOT_CONTEXT, span), span);
  }
}

/** A call made for several look-ups: its attempts go under its span. */
class Batch extends Calls implements BatchSpan {
  constructor(
    tracer: Tracer,
    context: Context,
    private readonly span: Span,
  ) {
    super(tracer, context);
  }

  end(error?: unknown): void {
    if (error !== undefined) markFailed(this.span, errorType(error));
    this.span.end();
  }
}

function sameSpan(a: SpanContext | undefined, b: SpanContext): boolean {
  return a !== undefined && a.traceId === b.traceId && a.spanId === b.spanId;
}

/** One HTTP attempt, as OpenTelemetry's HTTP client conventions describe it. */
function startAttempt(tracer: Tracer, parent: Context, facts: AttemptFacts): AttemptSpan {
  const { url } = facts;
  const span = tracer.startSpan(
    `${facts.method} ${url.pathname}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: facts.method,
        [ATTR_URL_FULL]: safeUrl(url),
        'url.template': url.pathname,
        [ATTR_SERVER_ADDRESS]: url.hostname,
        [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        [ATTR.source]: facts.source,
        [ATTR.hedge]: facts.hedge,
        ...(facts.resendCount > 0 && { [ATTR_HTTP_REQUEST_RESEND_COUNT]: facts.resendCount }),
      },
    },
    parent,
  );
  return {
    headers: traceHeaders(span),
    end({ outcome, status, error }) {
      span.setAttribute(ATTR.outcome, outcome);
      if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // A cancelled attempt (the loser of a hedge, or one nobody waits for) did not fail.
      if (outcome === 'error' || outcome === 'timeout') {
        markFailed(span, status !== undefined && status >= 400 ? String(status) : outcome === 'timeout' ? 'timeout' : errorType(error));
        if (error instanceof UpstreamError) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
  };
}
