// A small fetch-based GraphQL client: one typed document in, typed data and errors out.
// It speaks the GraphQL-over-HTTP spec, so any spec-compliant server works with it; copy
// it as it is, or swap it for urql, Apollo or graphql-request, which take the same documents.
// It sends a generated document by its id (trusted documents) and reads answers that come
// in parts (@defer, @stream) with parts.ts.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import { answerInParts, MalformedParts } from './parts.js';

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
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_ONLY'
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
  /**
   * How the operation is named: `id` (the default for a document that codegen gave an id)
   * sends `{"documentId": …}`, which a server that runs trusted documents only requires;
   * `text` sends the whole document, for a server that does not have the manifest.
   */
  send?: 'id' | 'text';
}

/** The answer so far of an operation whose answer comes in parts (@defer, @stream). */
export interface PartialResult<TData> extends ExecutionResult<TData> {
  /** True while more parts are to come; the last result of executeIncrementally has false. */
  hasNext: boolean;
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

type GraphQLResponse = { data?: unknown; errors?: ResponseError[] };

/** The body is a GraphQL response when it has `data` or a well-formed `errors` list. */
function asGraphQLResponse(body: unknown): GraphQLResponse | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (errors !== undefined && !(Array.isArray(errors) && errors.every(isResponseError))) return null;
  if (data === undefined && errors === undefined) return null;
  return { data, errors };
}

/** The id codegen embedded in a document (client preset, `persistedDocuments`), if any. */
function documentIdOf(document: DocumentNode): string | undefined {
  return (document as { __meta__?: { hash?: unknown } }).__meta__?.hash as string | undefined;
}

/**
 * Runs one operation. Resolves with whatever GraphQL response the server sent, including
 * request errors that come with a 4xx status; rejects with a TransportError only when no
 * GraphQL response arrived. An answer in parts is read to its end and merged.
 */
export async function execute<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: ExecuteOptions,
): Promise<ExecutionResult<TData>> {
  let last: PartialResult<TData> | undefined;
  for await (const result of executeIncrementally(document, variables, options)) last = result;
  const { hasNext: _, ...result } = last!;
  return result;
}

/**
 * Runs one operation and yields its answer as it grows: once for an answer in one piece, and
 * after each part for an answer in parts (`multipart/mixed`, for @defer and @stream), each
 * time the whole answer so far (a copy: later parts do not change what was yielded). Deferred
 * fields are absent until their part arrives, as the generated types say. Rejects like
 * execute(), and with a TransportError of kind `bad-response` when the parts end before the
 * last one.
 */
export async function* executeIncrementally<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: ExecuteOptions,
): AsyncGenerator<PartialResult<TData>> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // The spec's own media type: with it, the status code tells request errors apart. An
    // answer in parts comes as multipart/mixed; without it in Accept, gatherql would wait
    // for the last part and send the whole answer as JSON.
    accept: 'multipart/mixed, application/graphql-response+json, application/json;q=0.9',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const id = options.send === 'text' ? undefined : documentIdOf(document);
  const body = id ? { documentId: id, variables } : { query: queryText(document), variables };

  const failure = (error: unknown): TransportError => {
    if (error instanceof TransportError) return error;
    if (timeout.aborted) return new TransportError(`no complete answer from ${options.url} within ${timeoutMs} ms`, 'timeout', null, { cause: error });
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return new TransportError(`cannot reach ${options.url}: ${reason}`, 'network', null, { cause: error });
  };

  let response: Response;
  try {
    response = await fetchFn(options.url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (error) {
    throw failure(error);
  }
  const answer = (result: GraphQLResponse, hasNext: boolean): PartialResult<TData> => ({
    // The server executed this very document against its schema, which is what the types describe.
    data: (structuredClone(result.data) ?? null) as TData | null,
    errors: [...(result.errors ?? [])],
    status: response.status,
    headers: response.headers,
    hasNext,
  });

  const type = response.headers.get('content-type') ?? '';
  if (/^multipart\/mixed\b/.test(type)) {
    try {
      for await (const { answer: soFar, hasNext } of answerInParts(response, isResponseError)) yield answer(soFar as GraphQLResponse, hasNext);
    } catch (error) {
      if (error instanceof MalformedParts)
        throw new TransportError(`${options.url} answered HTTP ${response.status} with ${error.message}`, 'bad-response', response.status, { cause: error });
      throw failure(error);
    }
    return;
  }

  if (!/^application\/(graphql-response\+)?json\b/.test(type)) {
    await response.body?.cancel();
    throw new TransportError(
      `${options.url} answered HTTP ${response.status} with ${type || 'no content type'}, not a GraphQL response`,
      'http',
      response.status,
    );
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    if (timeout.aborted || options.signal?.aborted) throw failure(error);
    throw new TransportError(`${options.url} answered HTTP ${response.status} with malformed JSON`, 'bad-response', response.status, { cause: error });
  }
  const result = asGraphQLResponse(json);
  if (!result) {
    throw new TransportError(`${options.url} answered HTTP ${response.status} with JSON that is not a GraphQL response`, 'bad-response', response.status);
  }
  yield answer(result, false);
}

/** The codes of a result's errors, in order, without duplicates. */
export function errorCodes(result: Pick<ExecutionResult<unknown>, 'errors'>): ErrorCode[] {
  return [...new Set(result.errors.map((error) => error.extensions?.code).filter((code) => code !== undefined))];
}
