import { type DocumentNode, type ExecutionResult, getOperationAST, parse } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { AnswerLifetime } from '../resolvers/answer-lifetime.js';
import { isServedCopy, responseKey, servedManyTimes, withoutCost } from '../responses/served-many-times.js';
import type { Lookup, ResponseStore } from '../responses/store.js';
import { passingParts, type Payload } from '../responses/answer-parts.js';
import { noteRan } from '../operation-facts.js';

export interface ResponseCacheOptions {
  /** Where answers are kept and the generation that writes bump (see ResponseStore). */
  store: ResponseStore;
  /**
   * Longest time, in ms, an answer is served again; 0 keeps none. An answer that read
   * upstream values is kept no longer than they stay fresh (see AnswerLifetime).
   */
  maxTtlMs: number;
  /** Identical queries in flight share one execution. */
  share: boolean;
  /** The clock AnswerLifetime is measured on. Default Date.now. */
  now?: () => number;
  /** Told of every look-up: answered from the store (`hit`), executed (`miss`), or shared in flight (`joined`). */
  onEvent?: (event: 'hit' | 'miss' | 'joined') => void;
}

/** What the plugin needs of the GraphQL context: how long its answer stays true. */
interface FreshContext {
  lifetime?: AnswerLifetime;
}

/** How long an answer may be kept: at most `maxTtlMs`, and never beyond what it read stays fresh. */
export function keepFor(maxTtlMs: number, lifetime: AnswerLifetime, now: number): number {
  return Math.max(0, Math.min(maxTtlMs, lifetime.until - now));
}

interface Flight {
  generation: number;
  /** The answer as every waiter gets it, or null when there is none to share. */
  answer: Promise<ExecutionResult | null>;
  settle(result: ExecutionResult | null): void;
}

/** A request whose answer may be kept or shared: under which key, in which generation. */
interface Lead {
  key: string;
  generation: number;
  name: string | null;
  flight: Flight | null;
}

/**
 * Answers anonymous queries from the store for a moment, and lets identical ones in flight
 * share one execution: a repeated query costs no parsing, validation, execution or SQL, and
 * a burst of one cold query costs one execution. Only queries without an Authorization header
 * (a signed-in viewer may see more, and a bad token must still get its 401), never
 * mutations, batches, answers with errors, or answers that read a failure, a stale or a live
 * upstream value (see AnswerLifetime). Every write bumps the store's generation, so an answer
 * whose request began before a write is neither kept nor shared, and a client never reads
 * older data after its own mutation: a request that wrote answers only once the bump is done.
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin {
  const { store, maxTtlMs, share } = options;
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const inFlight = new Map<string, Flight>();
  const leads = new WeakMap<Request, Lead>();
  const batches = new WeakSet<Request>();
  // Only queries may be kept or shared, and the operation type is in the document: a small
  // cache of parsed documents answers that before Yoga parses (a syntax error: "not eligible").
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

  const lead = (key: string, generation: number): Flight | null => {
    // A failed store says generation -1: without it no one can tell whether a write came between.
    if (!share || generation < 0) return null;
    let settle!: (result: ExecutionResult | null) => void;
    const answer = new Promise<ExecutionResult | null>((resolve) => (settle = resolve));
    const flight: Flight = {
      generation,
      answer,
      settle(result) {
        if (inFlight.get(key) === flight) inFlight.delete(key);
        settle(result);
      },
    };
    inFlight.set(key, flight);
    return flight;
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
      // From Redis an answer comes as plain JSON: made a copy that is serialised once again.
      return setResult(isServedCopy(kept.result) ? kept.result : servedManyTimes(kept.result));
    }
    const flight = share && generation >= 0 ? inFlight.get(key) : undefined;
    if (flight && flight.generation === generation) {
      emit('joined');
      return flight.answer.then((shared) => {
        // Nothing to share (the first one failed before it had an answer): execute as usual.
        if (!shared) {
          leads.set(request, { key, generation, name, flight: null });
          return;
        }
        noteRan(context, { type: 'query', name });
        setResult(shared);
      });
    }
    if (maxTtlMs > 0) emit('miss');
    leads.set(request, { key, generation, name, flight: lead(key, generation) });
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
      const operation = document ? getOperationAST(document, params.operationName ?? undefined) : null;
      if (operation?.operation !== 'query') return;
      const key = responseKey(params.query, params.operationName, params.variables);
      const name = operation.name?.value ?? null;
      const lookup = store.lookUp(key);
      // The embedded store answers at once: no promise on the hot path.
      return lookup instanceof Promise
        ? lookup.then((found) => decide(found, key, name, request, context, setResult))
        : decide(lookup, key, name, request, context, setResult);
    },
    async onExecutionResult({ request, result, context, setResult }) {
      // Whatever the request was, a write it made must reach the store before it answers.
      await store.settled();
      const lead = leads.get(request);
      if (!lead) return;
      leads.delete(request);
      const keep = (whole: ExecutionResult, served: ExecutionResult) => {
        const lifetime = (context as FreshContext).lifetime;
        if (!lifetime || maxTtlMs <= 0 || whole.errors?.length) return;
        const ttl = keepFor(maxTtlMs, lifetime, now());
        if (ttl > 0) store.keep(lead.key, { result: served, until: now() + ttl }, lead.generation);
      };
      if (isAsyncIterable(result)) {
        // An answer in parts (@defer) is not handed to another request: each must get every
        // part as it comes. The whole it adds up to is kept once the last part has passed.
        lead.flight?.settle(null);
        return setResult(
          passingParts(result as AsyncIterable<Payload>, (whole) => {
            const plain = withoutCost(whole);
            keep(plain, servedManyTimes(plain));
          }),
        );
      }
      // One copy for all, serialised once.
      const plain = result ? withoutCost(result as ExecutionResult) : null;
      const served = plain && servedManyTimes(plain);
      lead.flight?.settle(served);
      if (plain && served) keep(plain, served);
    },
    onResponse({ request }) {
      // Whatever happened to the first one, nobody may wait for it any longer.
      leads.get(request)?.flight?.settle(null);
    },
  };
}
