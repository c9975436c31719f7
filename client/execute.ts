// A small fetch-based GraphQL client: one typed document in, typed data and errors out.
// It speaks the GraphQL-over-HTTP spec, so any spec-compliant server works with it; copy
// it as it is, or swap it for urql, Apollo or graphql-request, which take the same documents.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';

/**
 * The request-level error codes the gatherql contract promises in `extensions.code`.
 * Other codes may appear (from newer servers), hence the open string.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL_SERVER_ERROR'
  | (string & {});

/** One entry of a response's `errors`, as the spec defines it. */
export interface ResponseError {
  message: string;
  locations?: { line: number; column: number }[];
  /** Where in `data` the failed field would have been. Absent for request errors. */
  path?: (string | number)[];
  extensions?: { code?: ErrorCode; [key: string]: unknown };
}

/** What the server answered to one operation. */
export interface ExecutionResult<TData> {
  /**
   * The selected data, typed by the document. Null when the request failed before
   * execution (invalid query, rate limited, too complex) or an error reached the root.
   * Data and errors together are a partial result: failed fields are null.
   */
  data: TData | null;
  errors: ResponseError[];
  /** The HTTP status: 200 for any executed operation, 4xx for request errors. */
  status: number;
  headers: Headers;
}

export interface ExecuteOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** A bearer token from signing in; sent as `Authorization: Bearer …`. */
  token?: string;
  /** Abandons the request after this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The fetch to use; tests and frameworks pass their own. */
  fetch?: typeof globalThis.fetch;
}

export type TransportFailure = 'network' | 'timeout' | 'http' | 'bad-response';

/** The request never produced a GraphQL response: unreachable, timed out, or not GraphQL. */
export class TransportError extends Error {
  override name = 'TransportError';

  constructor(
    message: string,
    readonly kind: TransportFailure,
    /** The HTTP status when a response arrived at all. */
    readonly status: number | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// Printing a document costs a walk of its AST; documents are module constants, so once each.
const printed = new WeakMap<DocumentNode, string>();

function queryText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

function isResponseError(value: unknown): value is ResponseError {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** The body is a GraphQL response when it has `data` or a well-formed `errors` list. */
function asGraphQLResponse(body: unknown): { data?: unknown; errors?: ResponseError[] } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (errors !== undefined && !(Array.isArray(errors) && errors.every(isResponseError))) return null;
  if (data === undefined && errors === undefined) return null;
  return { data, errors };
}

/**
 * Runs one operation. Resolves with whatever GraphQL response the server sent, including
 * request errors that come with a 4xx status; rejects with a TransportError only when no
 * GraphQL response arrived.
 */
export async function execute<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: ExecuteOptions,
): Promise<ExecutionResult<TData>> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // The spec's own media type: with it, the status code tells request errors apart.
    accept: 'application/graphql-response+json, application/json;q=0.9',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  let response: Response;
  try {
    response = await fetchFn(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: queryText(document), variables }),
      signal,
    });
  } catch (error) {
    if (timeout.aborted) {
      throw new TransportError(`no response from ${options.url} within ${options.timeoutMs ?? 10_000} ms`, 'timeout', null, { cause: error });
    }
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new TransportError(`cannot reach ${options.url}: ${reason}`, 'network', null, { cause: error });
  }

  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/(graphql-response\+)?json\b/.test(type)) {
    await response.body?.cancel();
    throw new TransportError(`${options.url} answered HTTP ${response.status} with ${type || 'no content type'}, not a GraphQL response`, 'http', response.status);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new TransportError(`${options.url} answered HTTP ${response.status} with malformed JSON`, 'bad-response', response.status, { cause: error });
  }
  const result = asGraphQLResponse(body);
  if (!result) {
    throw new TransportError(`${options.url} answered HTTP ${response.status} with JSON that is not a GraphQL response`, 'bad-response', response.status);
  }
  return {
    // The server executed this very document against its schema, which is what the types describe.
    data: (result.data ?? null) as TData | null,
    errors: result.errors ?? [],
    status: response.status,
    headers: response.headers,
  };
}

/** The codes of a result's errors, in order, without duplicates. */
export function errorCodes(result: Pick<ExecutionResult<unknown>, 'errors'>): ErrorCode[] {
  return [...new Set(result.errors.map((error) => error.extensions?.code).filter((code) => code !== undefined))];
}
