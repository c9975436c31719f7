import { type DocumentNode, type ExecutionResult, getOperationAST, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { type ResponseStore, type ResponseStoreInternals, responseKey, servedManyTimes } from './response-store.js';
import { OPERATION_NAME } from './use-request-log.js';

export interface SharedQueriesOptions {
  /** The response cache's store: its generation says when a write came in between. */
  store: ResponseStore;
  /** The clock the store's entries are kept on. Default Date.now. */
  now?: () => number;
  /** Told of each request that waits for an identical one in flight (the metrics' `joined`). */
  onJoined?: () => void;
}

interface InFlight {
  generation: number;
  /** The answer as every waiter gets it, or null when there is none to share. */
  answer: Promise<ExecutionResult | null>;
  settle(result: ExecutionResult | null): void;
}

/**
 * Identical anonymous queries that arrive while one of them is being answered wait for that
 * answer instead of being parsed, validated and executed again: a burst of one cold query
 * costs one execution, as the upstream caches make it cost one upstream call. Same rules as
 * the response cache (no Authorization header, no mutation, no batch), and a request that
 * arrives after a write since the first began does not join it: it could see the write.
 */
export function useSharedQueries(options: SharedQueriesOptions): Plugin {
  const store = options.store as ResponseStoreInternals;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, InFlight>();
  // Who leads which answer: the context of the operation being executed.
  const leading = new WeakMap<object, { key: string; flight: InFlight }>();
  const leadingRequests = new WeakMap<Request, InFlight[]>();
  const batches = new WeakSet<Request>();
  // Only queries may be shared, and the operation type is in the document: a small cache of
  // parsed documents answers that before Yoga parses (a syntax error answers "not shareable").
  const documents = new LRUCache<string, DocumentNode | false>({ max: 1000 });
  const documentOf = (query: string): DocumentNode | false => {
    let document = documents.get(query);
    if (document === undefined) {
      try {
        document = parse(query);
      } catch {
        document = false;
      }
      documents.set(query, document);
    }
    return document;
  };

  return {
    onRequestParse({ request }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult)) batches.add(request);
        },
      };
    },
    onParams({ params, request, context, setResult }) {
      // A batch may hold anything, null included; Yoga answers a malformed entry with a 400 itself.
      if (!params?.query || request.headers.has('authorization') || batches.has(request)) return;
      const document = documentOf(params.query);
      const operation = document && getOperationAST(document, params.operationName ?? undefined);
      if (!operation || operation.operation !== 'query') return;
      const key = responseKey(params.query, params.operationName, params.variables);
      // A kept answer is the response cache's to serve.
      const kept = store.responses.get(key);
      if (kept && now() < kept.until) return;

      const flight = inFlight.get(key);
      if (flight && flight.generation === store.generation) {
        options.onJoined?.();
        return flight.answer.then((shared) => {
          // Nothing to share (the first one failed before it had an answer): execute as usual.
          if (shared) setResult(shared);
        });
      }
      let settle!: (result: ExecutionResult | null) => void;
      const answer = new Promise<ExecutionResult | null>((resolve) => (settle = resolve));
      const name = operation.name?.value ?? null;
      const lead: InFlight = {
        generation: store.generation,
        answer,
        settle: (result) => {
          if (inFlight.get(key) === lead) inFlight.delete(key);
          // One copy for all waiters: tagged with the name for their log lines, serialised once.
          settle(result && servedManyTimes(result, { [OPERATION_NAME]: name }));
        },
      };
      inFlight.set(key, lead);
      leading.set(context, { key, flight: lead });
      leadingRequests.set(request, [...(leadingRequests.get(request) ?? []), lead]);
    },
    onExecutionResult({ result, context }) {
      const lead = leading.get(context);
      if (!lead) return;
      leading.delete(context);
      // A streamed result (@defer) cannot be handed to another request.
      const plain = result && typeof result === 'object' && !(Symbol.asyncIterator in result) ? (result as ExecutionResult) : null;
      // Every waiter gets the answer, but not what it cost the first request's client.
      lead.flight.settle(plain && withoutCost(plain));
    },
    onResponse({ request }) {
      // Whatever happened to the first one, nobody may wait for it any longer.
      for (const flight of leadingRequests.get(request) ?? []) flight.settle(null);
    },
  };
}

/** An answer without `extensions.cost` (see useUpstreamCost): it says what one request spent. */
function withoutCost(result: ExecutionResult): ExecutionResult {
  if (!result.extensions || !('cost' in result.extensions)) return result;
  const { cost: _spent, ...extensions } = result.extensions;
  return Object.keys(extensions).length > 0 ? { ...result, extensions } : { data: result.data, ...(result.errors && { errors: result.errors }) };
}
