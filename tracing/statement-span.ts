import { type Context, SpanKind, type Tracer } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
} from '@opentelemetry/semantic-conventions';
import type { LogEvent } from 'kysely';
import { summarise } from '../db/statement-summary.js';
import { errorType, markFailed } from './failure.js';

/**
 * One SQL statement as OpenTelemetry's database conventions describe it: named by its summary
 * (`SELECT posts`), with its text as Kysely compiled it, placeholders and all: the values are
 * sent apart from the text and never recorded. Kysely tells of a statement once it settled,
 * so the span is made then, starting its duration earlier.
 */
export function recordStatement(tracer: Tracer, parent: Context, database: 'sqlite' | 'postgresql', durationMs: number, event: LogEvent): void {
  const endTime = performance.timeOrigin + performance.now();
  const { operation, table } = summarise(event.query);
  const summary = table ? `${operation} ${table}` : operation;
  const span = tracer.startSpan(
    summary,
    {
      kind: SpanKind.CLIENT,
      startTime: endTime - durationMs,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: database,
        [ATTR_DB_OPERATION_NAME]: operation,
        ...(table && { [ATTR_DB_COLLECTION_NAME]: table }),
        [ATTR_DB_QUERY_SUMMARY]: summary,
        [ATTR_DB_QUERY_TEXT]: event.query.sql,
      },
    },
    parent,
  );
  if (event.level === 'error') markFailed(span, errorType(event.error));
  span.end(endTime);
}
