// Subscriptions for the example client, over GraphQL over SSE (the "distinct connections"
// mode that gatherql and GraphQL Yoga speak): one POST per subscription with
// `Accept: text/event-stream`, whose body is a stream of `next` events and one `complete`.
// A browser app would use graphql-sse's client, or graphql-ws for the WebSocket transport
// (docs/frontend-clients.md); this one needs nothing but fetch.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { eventStream } from './event-stream.js';
import { type ExecuteOptions, type ExecutionResult, type ResponseError, TransportError } from './execute.js';

/**
 * Subscribes and yields each event as a result, until the server completes the stream (or
 * `options.signal` aborts it: then it just ends). A subscription the server refuses before
 * it starts (a limit, a bad token) is one result with the error and its HTTP status. Rejects
 * with a TransportError when the server cannot be reached or answers with no GraphQL at all.
 * No timeout: a subscription lasts as long as the client wants.
 */
export async function* subscribe<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: Omit<ExecuteOptions, 'timeoutMs'>,
): AsyncGenerator<ExecutionResult<TData>> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream, application/graphql-response+json;q=0.9' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const id = options.send === 'text' ? undefined : (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  const body = id ? { documentId: id, variables } : { query: print(document), variables };
  let response: Response;
  try {
    response = await fetchFn(options.url, { method: 'POST', headers, body: JSON.stringify(body), ...(options.signal && { signal: options.signal }) });
  } catch (error) {
    if (options.signal?.aborted) return;
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new TransportError(`cannot reach ${options.url}: ${reason}`, 'network', null, { cause: error });
  }
  const result = (payload: { data?: unknown; errors?: ResponseError[] }): ExecutionResult<TData> => ({
    data: (payload.data ?? null) as TData | null,
    errors: payload.errors ?? [],
    status: response.status,
    headers: response.headers,
  });
  const type = response.headers.get('content-type') ?? '';
  if (/^application\/(graphql-response\+)?json\b/.test(type)) {
    yield result((await response.json()) as { data?: unknown; errors?: ResponseError[] });
    return;
  }
  if (!/^text\/event-stream\b/.test(type) || !response.body) {
    await response.body?.cancel();
    throw new TransportError(`${options.url} answered HTTP ${response.status} with ${type || 'no content type'}, not an event stream`, 'http', response.status);
  }
  try {
    for await (const { event, data } of eventStream(response.body)) {
      if (event === 'complete') return;
      if (event === 'next') yield result(JSON.parse(data) as { data?: unknown; errors?: ResponseError[] });
    }
  } catch (error) {
    if (options.signal?.aborted) return;
    throw new TransportError(`the event stream from ${options.url} broke off: ${(error as Error).message}`, 'network', response.status, { cause: error });
  }
}
