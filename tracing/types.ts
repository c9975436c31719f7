import type { Logger } from 'pino';
import type { DialectName, StatementObserver } from '../db/connect.js';
import type { LookUpTracer } from '../sources/kit/trace.js';

// The gateway's tracing as the gateway, its plugin and each request's context use it. The
// OpenTelemetry SDK stays behind these interfaces (tracing/sdk.ts), loaded only when tracing
// is on, and no global context manager is installed: each span's parent is handed to it
// explicitly, through the request's context, so that untraced code pays nothing per promise.

/** One gateway's tracing: made by startTracing(), flushed and stopped by the gateway's close(). */
export interface Tracing {
  /** Starts the span of one HTTP request, continuing the trace that its `traceparent` names. */
  request(request: Request): RequestTrace;
  /** Traces the gateway's own look-ups (the caches' refreshes): each is the root of a trace. */
  readonly background: LookUpTracer;
  /** Sends every ended span now, and resolves once the endpoint has them (or has refused them). */
  flush(): Promise<void>;
  /** Flushes, then stops: spans ended later are dropped. */
  shutdown(): Promise<void>;
}

/** The trace of one HTTP request to the GraphQL endpoint. */
export interface RequestTrace {
  /** The span of one GraphQL phase of one of its operations. */
  phase(name: 'graphql.parse' | 'graphql.validate'): PhaseSpan;
  /** One of its operations (a batched request has several). */
  operation(): OperationTrace;
  /** The response is ready: its status, and the request id it carries. */
  end(response: { status: number; requestId: string }): void;
}

/**
 * One GraphQL operation: its execution span, and the parent of every span its work makes
 * (look-ups, upstream attempts, SQL statements): the request's span until execution starts,
 * the execution's span from then on.
 */
export interface OperationTrace extends LookUpTracer {
  /** Starts the execution span. */
  execute(): PhaseSpan;
  /** The operation is known: its type (`query`, `mutation`, `subscription`) and its name (null: anonymous). */
  identify(type: string, name: string | null): void;
  /** Records one SQL statement sent on the operation's behalf, after it settled. */
  readonly statement: StatementObserver;
}

export interface PhaseSpan {
  end(error?: unknown): void;
}

/** What tracing needs of the gateway besides its settings. */
export interface TracingOptions {
  /** Where export failures are told (at most once a minute). */
  logger: Logger;
  /** The database the statements go to, for their spans. */
  dialect: DialectName;
}
