import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventStream } from '../../client/event-stream.js';

/** One event of a subscription as the client got it. */
export interface LiveResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** A subscription held open by a real client: what it got so far, and how it ended. */
export interface Watch<T = any> {
  /** Every `next` payload, in order. */
  events: LiveResult<T>[];
  /** True once the server completed the stream. */
  completed: boolean;
  /** What ended it otherwise: an `error` message (WebSocket), a closed connection, an HTTP error status. */
  failure: unknown;
  /** The HTTP status of an SSE subscription; null for a WebSocket. */
  status: number | null;
  /** The close code of a WebSocket once its connection closed (1001: the server went away); null until then, and for SSE. */
  closeCode: number | null;
  /** Resolves when the stream has ended, however. */
  ended: Promise<void>;
  /** Leaves: the client cancels the subscription. */
  close(): Promise<void>;
}

export interface WatchOptions {
  variables?: Record<string, unknown>;
  /** `Authorization` header (SSE) or `connectionParams.authorization` (WebSocket). */
  authorization?: string;
  /** Extra request fields, e.g. `{ documentId }` in place of the query. */
  extra?: Record<string, unknown>;
}

/**
 * A subscription over GraphQL over SSE (Yoga's distinct connections mode), by fetch: a POST
 * with `Accept: text/event-stream`, read as `event:`/`data:` blocks.
 */
export async function watchSse<T = any>(url: string, query: string | null, options: WatchOptions = {}): Promise<Watch<T>> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(options.authorization && { authorization: options.authorization }) },
    body: JSON.stringify({ ...(query !== null && { query }), variables: options.variables, ...options.extra }),
    signal: abort.signal,
  });
  const watch: Watch<T> = {
    events: [],
    completed: false,
    failure: null,
    status: response.status,
    closeCode: null,
    ended: Promise.resolve(),
    close: async () => {},
  };
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    watch.failure = await response.json();
    return watch;
  }
  watch.ended = (async () => {
    try {
      for await (const { event, data } of eventStream(response.body!)) {
        if (event === 'next') watch.events.push(JSON.parse(data) as LiveResult<T>);
        if (event === 'complete') watch.completed = true;
      }
    } catch (error) {
      if (!abort.signal.aborted) watch.failure = error;
    }
  })();
  watch.close = async () => {
    abort.abort();
    await watch.ended;
  };
  return watch;
}

/** A subscription over the graphql-ws protocol, with graphql-ws's own client on ws. */
export function watchWs<T = any>(url: string, query: string, options: WatchOptions = {}): Watch<T> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    // Held open until close(): what the server does with an idle connection (close it with 1001 when it shuts down) is seen.
    lazy: false,
    // Seen through `closed` below; the default prints it.
    onNonLazyError: () => {},
    connectionParams: options.authorization ? { authorization: options.authorization } : {},
    // A connection closed by the server (1001 when it shuts down) before the stream ended.
    on: {
      closed: (event) => {
        watch.closeCode = (event as { code?: number }).code ?? null;
        if (!closing && !watch.completed) watch.failure ??= event;
      },
    },
  });
  let closing = false;
  let done!: () => void;
  const watch: Watch<T> = {
    events: [],
    completed: false,
    failure: null,
    status: null,
    closeCode: null,
    ended: new Promise<void>((resolve) => (done = resolve)),
    close: async () => {
      closing = true;
      unsubscribe();
      await client.dispose();
      done();
    },
  };
  const unsubscribe = client.subscribe<T>(
    { query, ...(options.variables && { variables: options.variables }), ...options.extra },
    {
      next: (value) => void watch.events.push(value as LiveResult<T>),
      error: (error) => {
        watch.failure = error;
        done();
      },
      complete: () => {
        watch.completed = true;
        done();
      },
    },
  );
  return watch;
}
