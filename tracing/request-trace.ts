import { type Context, ROOT_CONTEXT, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';
import { errorType, markFailed } from './failure.js';
import { remoteParent } from './propagation.js';
import { recordStatement } from './statement-span.js';
import type { OperationTrace, PhaseSpan, RequestTrace } from './types.js';
import { unrecordedRequest } from './unrecorded.js';
import { startLookUp } from './upstream-trace.js';

// GraphQL's conventions are still in development: their names are not in the package's stable
// entry point, whose incubating one is large, so they are spelt here.
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
/** The request's `X-Request-Id`, which its log line carries too. */
const ATTR_REQUEST_ID = 'gatherql.request.id';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']);

/**
 * The server span of one HTTP request (OpenTelemetry's HTTP server conventions), continuing
 * the caller's trace. Its URL's query string is never recorded: a GET request carries its
 * document and variables there. Nor are headers, the client's address or the document.
 */
export function createRequestTrace(tracer: Tracer, request: Request, database: 'sqlite' | 'postgresql'): RequestTrace {
  const url = new URL(request.url);
  const method = METHODS.has(request.method) ? request.method : '_OTHER';
  const span = tracer.startSpan(
    `${method} ${url.pathname}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_SCHEME]: url.protocol.replace(/:$/, ''),
        [ATTR_URL_PATH]: url.pathname,
        [ATTR_HTTP_ROUTE]: url.pathname,
      },
    },
    remoteParent(request.headers),
  );
  if (!span.isRecording()) return unrecordedRequest(span);
  const context = trace.setSpan(ROOT_CONTEXT, span);
  const operations: { type: string; name: string | null }[] = [];
  let ended = false;
  return {
    phase: (name) => phase(tracer.startSpan(name, { kind: SpanKind.INTERNAL }, context)),
    operation: () => createOperationTrace(tracer, context, database, (operation) => operations.push(operation)),
    end({ status, requestId }) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      span.setAttribute(ATTR_REQUEST_ID, requestId);
      // A batch names each of its operations, as the request's log line does.
      if (operations.length > 0) {
        span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operations.map((operation) => operation.name ?? 'anonymous').join(','));
        span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, [...new Set(operations.map((operation) => operation.type))].join(','));
      }
      // For a server, a 4xx is the client's doing: only a 5xx marks the span failed.
      if (status >= 500) markFailed(span, String(status));
      span.end();
    },
  };
}

/**
 * One operation: the parent of its look-ups and statements is the request's span until its
 * execution starts, the execution's span from then on. The execution span is named by the
 * operation's type alone, as the conventions recommend (its name is the client's to choose).
 */
function createOperationTrace(
  tracer: Tracer,
  requestContext: Context,
  database: 'sqlite' | 'postgresql',
  identified: (operation: { type: string; name: string | null }) => void,
): OperationTrace {
  let parent = requestContext;
  let execution: Span | undefined;
  return {
    lookUp: (cache, key) => startLookUp(tracer, parent, cache, key),
    statement: (durationMs, event) => recordStatement(tracer, parent, database, durationMs, event),
    execute() {
      execution = tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL }, requestContext);
      parent = trace.setSpan(requestContext, execution);
      return phase(execution);
    },
    identify(type, name) {
      identified({ type, name });
      if (!execution) return;
      execution.updateName(type);
      execution.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
      if (name !== null) execution.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, name);
    },
  };
}

function phase(span: Span): PhaseSpan {
  return {
    end(error) {
      if (error !== undefined) markFailed(span, errorType(error));
      span.end();
    },
  };
}
