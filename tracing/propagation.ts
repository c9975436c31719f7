import { type Context, defaultTextMapSetter, ROOT_CONTEXT, type Span, type TextMapGetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// W3C Trace Context (`traceparent`, `tracestate`), read from requests and written on every
// upstream attempt. Called directly rather than through a global propagator: nothing global is
// registered (see types.ts).

const propagator = new W3CTraceContextPropagator();

const fromHeaders: TextMapGetter<Headers> = {
  get: (headers, name) => headers.get(name) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The trace a request continues: its `traceparent` (and `tracestate`), or none (a new trace). */
export function remoteParent(headers: Headers): Context {
  return propagator.extract(ROOT_CONTEXT, headers, fromHeaders);
}

/** The headers that make `span` the parent of what the receiver does. */
export function traceHeaders(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
  return headers;
}
