import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/**
 * A low-cardinality name for what went wrong, as OpenTelemetry's `error.type`: an error's own
 * code (UPSTREAM_TIMEOUT, ECONNRESET, SQLITE_CONSTRAINT_UNIQUE…), else its class name.
 * Messages are left out on purpose: a driver's message may quote the values it was sent.
 */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  return '_OTHER';
}

/** Marks a span as failed, with `error.type` and no message (see errorType). */
export function markFailed(span: Span, type: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
