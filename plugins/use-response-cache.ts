import { type ExecutionResult, type GraphQLSchema, getOperationAST, parse } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { QUERY_LIMIT_DEFAULTS } from './use-query-limits.js';
import type { AnswerLifetime } from '../resolvers/answer-lifetime.js';
import type { UpstreamCost } from '../limits/upstream-budget.js';
import { etagOf, publicUntil } from '../responses/http-caching.js';
import { responseKey, servedFromStore, servedManyTimes, withoutCost } from '../responses/served-many-times.js';
import type { Lookup, ResponseStore } from '../responses/store.js';
import { createInFlightAnswers, type Flight, type InFlightAnswers, type SharedAnswer } from '../responses/in-flight.js';
import { selectsViewerFields } from '../schema/viewer-scope.js';
import { passingParts, type Payload } from '../responses/answer-parts.js';
import { noteRan } from '../operation-facts.js';
import { requestSlot } from '../request-slots.js';

export interface ResponseCacheOptions {
  /** Where answers are kept and the generation that writes bump (see ResponseStore). */
  store: ResponseStore;
  /**
   * Longest time, in ms, an answer is served again; 0 keeps none. An answer that read
   * upstream values is kept no longer than they stay fresh (see AnswerLifetime).
   */
  responseTtlMs: number;
  /** Identical queries in flight share one execution. */
  share: boolean;
  /** Where the executions in flight are found: the gateway's, which the lane of kept answers joins too. Default: one of its own. */
  flights?: InFlightAnswers;
  /**
   * The answer the lane of kept answers already waited for on behalf of this request (by its
   * server context), and left to Yoga to write (see http/kept-answers.ts): it is the request's
   * answer, as if it had joined the flight here.
   */
  joinedEarlier?: (serverContext: unknown) => SharedAnswer | undefined;
  /**
   * True when an Authorization header proves a viewer (or is empty): only then may a signed-in
   * request get a kept answer, so that a bad token still gets its 401. Without it, no
   * signed-in request is answered from the store.
   */
  provesViewer?: (authorization: string) => Promise<boolean>;
  /** Told of each request's key as it is worked out, with Yoga's server context (see http/kept-answers.ts). */
  onKey?: (key: string, serverContext: unknown) => void;
  /** The clock AnswerLifetime is measured on. Default Date.now. */
  now?: () => number;
  /** Told of every look-up: answered from the store (`hit`), executed (`miss`), or shared in flight (`joined`). */
  onEvent?: (event: 'hit' | 'miss' | 'joined') => void;
}

/** What the plugin needs of the GraphQL context: how long its answer stays true. */
interface FreshContext {
  lifetime?: AnswerLifetime;
}

/** How long an answer may be kept: at most `responseTtlMs`, and never beyond what it read stays fresh. */
export function keepFor(responseTtlMs: number, lifetime: AnswerLifetime, now: number): number {
  return Math.max(0, Math.min(responseTtlMs, lifetime.until - now));
}

/** A request whose answer may be kept or shared: under which key, in which generation. */
interface Lead {
  key: string;
  generation: number;
  name: string | null;
  flight: Flight | null;
}

/** What a document is to the cache: a query (and then its name, and whether its answer is the viewer's), or not one at all. */
type DocumentKind = { query: true; name: string | null; viewers: boolean } | { query: false };

/**
 * Answers queries from the store for a moment, and lets identical ones in flight share one
 * execution: a repeated query costs no parsing, validation, execution or SQL, and a burst of
 * one cold query costs one execution. Answers are the same for everyone unless the document
 * selects a field that depends on who asks (see selectsViewerFields): such a document, signed
 * in, is always executed; any other is shared between anonymous and signed-in requests alike
 * (a signed-in one once its token is proven: a bad token still gets its 401). Never
 * mutations, batches, answers with errors, or answers that read a failure, a stale or a live
 * upstream value (see AnswerLifetime). Every write bumps the store's generation, so an answer
 * whose request began before a write is neither kept nor shared, and a client never reads
 * older data after its own mutation: a request that wrote answers only once the bump is done.
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin {
  const { store, responseTtlMs, share, provesViewer } = options;
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const flights = options.flights ?? createInFlightAnswers();
  const leads = requestSlot<Lead>('response cache lead');
  const batches = new WeakSet<Request>();
  let schema: GraphQLSchema | undefined;
  // Only queries may be kept or shared, and the operation type is in the document: a small
  // cache of what each document is answers that before Yoga parses (a syntax error: not a query).
  // Keyed by the operation's name and the text together, and bounded by their length too: both
  // are the client's to choose, and a text may be as long as a body (1 MiB).
  const documents = new LRUCache<string, DocumentKind>({ max: 1000, maxSize: 4_000_000, sizeCalculation: (_kind, key) => key.length });
  const kindOf = (query: string, operationName: string | null): DocumentKind => {
    // Length-prefixed: no name and text can make the key of another.
    const key = operationName === null ? `-${query}` : `${operationName.length}:${operationName}${query}`;
    let kind = documents.get(key);
    if (kind === undefined) {
      try {
        // As Yoga parses it: a document over the token limit is refused there, and is no query here.
        const document = parse(query, { maxTokens: QUERY_LIMIT_DEFAULTS.maxTokens });
        const operation = getOperationAST(document, operationName ?? undefined);
        kind =
          operation?.operation === 'query' && schema
            ? { query: true, name: operation.name?.value ?? null, viewers: selectsViewerFields(schema, document) }
            : { query: false };
      } catch {
        kind = { query: false };
      }
      documents.set(key, kind);
    }
    return kind;
  };

  const lead = (key: string, generation: number): Flight | null => (share ? flights.lead(key, generation) : null);

  /** Makes a shared answer this request's (the request log and the metrics learn of the operation from noteRan). */
  const adopt = (context: object, shared: SharedAnswer, setResult: (result: ExecutionResult) => void) => {
    noteRan(context, { type: 'query', name: shared.name });
    setResult(shared.result);
  };

  const decide = (
    lookup: Lookup,
    key: string,
    name: string | null,
    request: Request,
    context: object,
    setResult: (result: ExecutionResult) => void,
  ): void | Promise<void> => {
    const { generation, kept } = lookup;
    if (kept && now() < kept.until) {
      emit('hit');
      noteRan(context, { type: 'query', name });
      return setResult(servedFromStore(kept));
    }
    const flight = share ? flights.joinable(key, generation) : undefined;
    if (flight) {
      emit('joined');
      return flight.answer.then((shared) => {
        // Nothing to share (the first one failed before it had an answer): execute as usual.
        if (!shared) {
          leads.set(request, { key, generation, name, flight: null });
          return;
        }
        adopt(context, shared, setResult);
      });
    }
    if (responseTtlMs > 0) emit('miss');
    leads.set(request, { key, generation, name, flight: lead(key, generation) });
  };

  const lookUp = (key: string, name: string | null, request: Request, context: object, setResult: (result: ExecutionResult) => void) => {
    const found = store.lookUp(key);
    // The embedded store answers at once: no promise on the hot path.
    return found instanceof Promise
      ? found.then((lookup) => decide(lookup, key, name, request, context, setResult))
      : decide(found, key, name, request, context, setResult);
  };

  return {
    onSchemaChange({ schema: changed }) {
      schema = changed;
      documents.clear();
    },
    onRequestParse({ request }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult)) batches.add(request);
        },
      };
    },
    onParams({ params, request, setResult, context }) {
      // A batch may hold anything, null included; Yoga answers a malformed entry with a 400 itself.
      if (!params?.query || batches.has(request)) return;
      const kind = kindOf(params.query, params.operationName ?? null);
      if (!kind.query) return;
      const authorization = request.headers.get('authorization');
      if (authorization !== null && (kind.viewers || !provesViewer)) return;
      const key = responseKey(params.query, params.operationName, params.variables);
      options.onKey?.(key, context);
      const early = options.joinedEarlier?.(context);
      if (early) return adopt(context, early, setResult);
      if (authorization === null) return lookUp(key, kind.name, request, context, setResult);
      return provesViewer!(authorization).then((proven) => (proven ? lookUp(key, kind.name, request, context, setResult) : undefined));
    },
    async onExecutionResult({ request, result, context, setResult }) {
      // Whatever the request was, a write it made must reach the store before it answers.
      await store.settled();
      const lead = leads.get(request);
      if (!lead) return;
      leads.delete(request);
      const keep = (whole: ExecutionResult) => {
        const lifetime = (context as FreshContext).lifetime;
        if (!lifetime || responseTtlMs <= 0 || whole.errors?.length) return;
        const at = now();
        const ttl = keepFor(responseTtlMs, lifetime, at);
        if (ttl <= 0) return;
        const body = JSON.stringify(whole);
        const kept = { body, etag: etagOf(body), name: lead.name, until: at + ttl, publicUntil: publicUntil(lifetime, responseTtlMs, at) };
        store.keep(lead.key, kept, lead.generation);
      };
      if (isAsyncIterable(result)) {
        // An answer in parts (@defer) is not handed to another request: each must get every
        // part as it comes. The whole it adds up to is kept once the last part has passed.
        lead.flight?.settle(null);
        return setResult(passingParts(result as AsyncIterable<Payload>, (whole) => keep(withoutCost(whole))));
      }
      // An answer in which the client's own upstream budget refused something is that
      // client's alone: another, with a budget of its own, runs the query itself.
      if (((context as { upstreamCost?: UpstreamCost }).upstreamCost?.refused ?? 0) > 0) return lead.flight?.settle(null);
      // One copy for all, serialised once.
      const plain = result ? withoutCost(result as ExecutionResult) : null;
      lead.flight?.settle(plain && { result: servedManyTimes(plain), name: lead.name });
      if (plain) keep(plain);
    },
    onResponse({ request }) {
      // Whatever happened to the first one, nobody may wait for it any longer.
      leads.get(request)?.flight?.settle(null);
    },
  };
}
