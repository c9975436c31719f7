import { type Cache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { AnswerLifetime } from '../resolvers/answer-lifetime.js';
import { type ResponseStore, type ResponseStoreInternals, responseKey, servedManyTimes } from './response-store.js';
import { OPERATION_NAME } from './use-request-log.js';

export interface PublicResponseCacheOptions {
  /** Where responses are kept; `invalidate()` it on every write to the data they come from. */
  store: ResponseStore;
  /**
   * Longest time, in ms, a response is served again. An answer that read expiring data (the
   * upstream caches) is kept no longer than that data is fresh; see `AnswerLifetime`. Default 1000.
   */
  maxTtlMs?: number;
  /** The clock `AnswerLifetime` is measured on. Default Date.now. */
  now?: () => number;
  /** Told whether each anonymous query was answered from the store (the metrics' `hit` and `miss`). */
  onLookUp?: (event: 'hit' | 'miss') => void;
}

/** What the plugin needs of the GraphQL context: the request, and how long its answer stays true. */
interface FreshContext {
  request: Request;
  lifetime: AnswerLifetime;
}

/** How long an answer may be kept: at most `maxTtlMs`, and never beyond what it read stays fresh. */
export function keepFor(maxTtlMs: number, lifetime: AnswerLifetime, now: number): number {
  return Math.max(0, Math.min(maxTtlMs, lifetime.until - now));
}

/**
 * Answers repeated anonymous queries from memory for a short while, skipping parsing,
 * validation and execution. Only requests without an Authorization header are cached (a
 * signed-in viewer may see more, and a bad token must still get its 401); never mutations,
 * answers with errors, or answers that read a failure, a stale stand-in or a value fetched
 * just now (see AnswerLifetime). Every write through the gateway's database forgets every kept response, and an
 * answer whose request began before a write is not kept, so a client never reads older data
 * after its own mutation.
 */
export function usePublicResponseCache(options: PublicResponseCacheOptions): Plugin {
  const store = options.store as ResponseStoreInternals;
  const maxTtlMs = options.maxTtlMs ?? 1000;
  const now = options.now ?? Date.now;
  // The generation each request began in, and the name of the operation each context executed.
  const began = new WeakMap<Request, number>();
  const names = new WeakMap<object, string | null>();
  // The plugin calls onTtl and then, in the same turn, set: onTtl leaves the name here for set.
  let naming: string | null = null;

  const cache: Cache = {
    get(key) {
      const kept = store.responses.get(key);
      if (kept && now() < kept.until) {
        options.onLookUp?.('hit');
        return kept.result;
      }
      if (kept) store.responses.delete(key);
      options.onLookUp?.('miss');
      return null;
    },
    set(key, result, _entities, ttl) {
      // JSON.stringify skips symbol keys: the tag reaches the request log, never a client.
      store.responses.set(key, { result: servedManyTimes(result, { [OPERATION_NAME]: naming }), until: now() + ttl });
    },
    // Called after mutations with the entities they returned. The store's write hook does
    // better: it sees every write, also those no mutation result names.
    invalidate: () => {},
  };
  const publicOnly = (request: Request) => !request.headers.has('authorization');

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        useResponseCache<FreshContext>({
          cache,
          session: () => null,
          enabled: publicOnly,
          ttl: maxTtlMs,
          // Also what keeps mutations out: without it the plugin would cache their results.
          invalidateViaMutation: true,
          includeExtensionMetadata: false,
          buildResponseCacheKey: ({ documentString, operationName, variableValues }) => responseKey(documentString, operationName, variableValues),
          onTtl({ ttl, context }) {
            const { request, lifetime } = context as FreshContext;
            naming = names.get(context) ?? null;
            if (began.get(request) !== store.generation) return 0;
            return keepFor(ttl, lifetime, now());
          },
        }),
      );
    },
    onParams({ request }) {
      began.set(request, store.generation);
    },
    onExecute({ args }) {
      names.set(args.contextValue, getOperationAST(args.document, args.operationName)?.name?.value ?? null);
    },
  };
}
