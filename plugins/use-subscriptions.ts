import { type DocumentNode, type ExecutionResult, getOperationAST, Kind, type SelectionSetNode } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { createEventQueue, type LiveStream } from '../events/event-queue.js';
import type { Metrics } from '../metrics.js';

export interface SubscriptionsOptions {
  /** SUBSCRIPTIONS_PER_CLIENT: open subscriptions one client may have on this instance; more is RATE_LIMITED. */
  perClient: number;
  /**
   * Events that may wait for one subscriber's connection; one more drops it (it gets a
   * SUBSCRIPTION_DROPPED error, and its stream ends). Room for a first answer in many events
   * (weatherUpdates: one per city) and for a connection that is slow for a moment.
   */
  buffer: number;
  metrics: Pick<Metrics, 'subscriptionsOpen' | 'eventsDelivered' | 'subscriptionsDropped'>;
  /** Aborted when the process begins to drain: every open stream is completed, and new ones end at once. */
  draining: AbortSignal;
}

/** What the plugin needs of the GraphQL context: who the client is. */
interface ClientContext {
  clientKey?: () => Promise<string>;
}

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;

/**
 * Subscriptions, whichever transport carries them (SSE through Yoga, WebSocket through the
 * graphql-ws adapter; both run operations through envelop's subscribe):
 * - at most `perClient` open per client (by the client key: user, else address); the next is
 *   refused with RATE_LIMITED (HTTP 429 over SSE);
 * - each stream is read ahead into a queue of `buffer` events, so that a connection that
 *   stops reading is noticed: past the bound it is dropped, its events are freed and its
 *   source released (memory stays bounded whatever clients do);
 * - on draining (SIGTERM), every open stream is completed after what it holds, so that clients
 *   reconnect (to another instance, behind a load balancer), and new ones complete at once;
 * - metrics: open subscriptions per field, events delivered, subscribers dropped;
 * - an event stream (SSE) says `X-Accel-Buffering: no`, so that nginx in front passes each
 *   event on at once instead of buffering the response (for this response alone).
 */
export function useSubscriptions(options: SubscriptionsOptions): Plugin {
  const { perClient, buffer, metrics, draining } = options;
  const openPerClient = new Map<string, number>();
  /** Ends each open stream's source: its queue then ends after the events it holds. */
  const open = new Set<() => void>();
  draining.addEventListener('abort', () => {
    for (const complete of [...open]) complete();
  });

  const tooMany = () =>
    createGraphQLError(`Too many subscriptions: a client may have ${perClient} open at once; close one first`, {
      extensions: { code: 'RATE_LIMITED', limit: perClient, http: { status: 429 } },
    });
  const dropped = () =>
    createGraphQLError(`This subscription was dropped: more than ${buffer} events waited for a client that did not read them; subscribe again`, {
      extensions: { code: 'SUBSCRIPTION_DROPPED', limit: buffer },
    });

  /** The stream a transport reads: `source` read ahead into a bounded queue, and counted. */
  const track = (source: AsyncIterable<ExecutionResult>, field: string, release: () => void): LiveStream<ExecutionResult> => {
    const iterator = source[Symbol.asyncIterator]();
    const stop = () => void iterator.return?.();
    metrics.subscriptionsOpen.inc({ field });
    const queue = createEventQueue<ExecutionResult>({
      limit: buffer,
      onClose: () => {
        open.delete(stop);
        metrics.subscriptionsOpen.dec({ field });
        release();
        stop();
      },
      onDrop: () => {
        metrics.subscriptionsDropped.inc({ field });
        return { errors: [dropped()] };
      },
    });
    open.add(stop);
    void (async () => {
      for (;;) {
        const step = await iterator.next();
        if (step.done) return queue.end();
        queue.push(step.value);
        if (queue.closed) return;
      }
    })().catch((error: unknown) => queue.fail(error instanceof Error ? error : new Error(String(error))));
    const stream = queue.stream;
    return {
      ...stream,
      next: () =>
        stream.next().then((step) => {
          if (!step.done) metrics.eventsDelivered.inc({ field });
          return step;
        }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };

  return {
    onResponse({ response }) {
      if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) response.headers.set('X-Accel-Buffering', 'no');
    },
    onSubscribe({ args, setResultAndStopExecution, subscribeFn, setSubscribeFn }) {
      if (draining.aborted) return setResultAndStopExecution(ended());
      const field = rootField(args.document, args.operationName) ?? 'unknown';
      const context = args.contextValue as ClientContext;
      // The client's place is taken as the subscribe begins, not here: a plugin after this one
      // may still refuse the operation (the query limits), and then nothing would give it back.
      let release: (() => void) | null = null;
      setSubscribeFn(async (subscribeArgs) => {
        const client = (await context.clientKey?.()) ?? 'ip:unknown';
        const count = openPerClient.get(client) ?? 0;
        if (count >= perClient) return { errors: [tooMany()] };
        openPerClient.set(client, count + 1);
        let released = false;
        release = () => {
          if (released) return;
          released = true;
          const left = (openPerClient.get(client) ?? 1) - 1;
          if (left > 0) openPerClient.set(client, left);
          else openPerClient.delete(client);
        };
        // A subscribe that fails before it has a result opens nothing.
        try {
          return (await subscribeFn(subscribeArgs)) as Result;
        } catch (error) {
          release();
          throw error;
        }
      });
      return {
        onSubscribeResult({ result, setResult }) {
          if (!release) return;
          if (!isAsyncIterable(result)) return release();
          setResult(track(result as AsyncIterable<ExecutionResult>, field, release));
        },
      };
    },
  };
}

/** A stream that ends at once: what a subscription gets while the process drains. */
function ended(): LiveStream<ExecutionResult> {
  const queue = createEventQueue<ExecutionResult>({ limit: 0 });
  queue.end();
  return queue.stream;
}

/** The one root field of a subscription operation (the spec allows exactly one), looking through fragments. */
export function rootField(document: DocumentNode, operationName: string | null | undefined): string | null {
  const fragments = new Map(
    document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [])),
  );
  const first = (set: SelectionSetNode, seen: Set<string>): string | null => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) return selection.name.value;
      const next = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
      if (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value)) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) seen.add(selection.name.value);
      const found = next && first(next, seen);
      if (found) return found;
    }
    return null;
  };
  const operation = getOperationAST(document, operationName ?? undefined);
  return operation ? first(operation.selectionSet, new Set()) : null;
}
