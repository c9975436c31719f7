import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * Anonymous answers kept for a moment, and a generation that every write to their data
 * bumps. Made by the gateway, so that the database's write hook can reach it; read by the
 * response cache and by the sharing of identical queries in flight.
 */
export interface ResponseStore {
  /** Forgets every kept answer; answers being built now are neither kept nor shared. */
  invalidate(): void;
  readonly size: number;
}

export interface KeptResponse {
  result: ExecutionResult;
  /** On the clock of the plugins that keep answers (the weather caches' clock). */
  until: number;
}

/** What the plugins see of the store. */
export interface ResponseStoreInternals extends ResponseStore {
  responses: LRUCache<string, KeptResponse>;
  generation: number;
}

export function createResponseStore(maxEntries = 1000): ResponseStore {
  const store: ResponseStoreInternals = {
    responses: new LRUCache<string, KeptResponse>({ max: maxEntries }),
    generation: 0,
    invalidate() {
      store.generation += 1;
      store.responses.clear();
    },
    get size() {
      return store.responses.size;
    },
  };
  return store;
}

/**
 * The key of an answer: the document, the operation name and the variables. Node's
 * synchronous hash: the response cache's default goes through WebCrypto's promise, which cost
 * a sixth of the CPU time of an answer from the cache.
 */
export function responseKey(query: string, operationName: string | null | undefined, variables: unknown): string {
  return createHash('sha256')
    .update(`${query}|${operationName ?? ''}|${JSON.stringify(variables ?? {})}`)
    .digest('base64url');
}

/**
 * A copy of an answer that is served many times, tagged for the request log and serialised
 * once: Yoga uses a result's own `stringify` when it has one (graphql-jit's convention), and
 * every request for a kept or shared answer would otherwise build the same JSON again.
 */
export function servedManyTimes(result: ExecutionResult, tags: Record<symbol, unknown>): ExecutionResult {
  let json: string | undefined;
  // What Yoga hands in is this answer minus its internals (the ETag headers): the same each time.
  const stringify = (sanitized: unknown) => (json ??= JSON.stringify(sanitized));
  return Object.assign({ ...result, ...tags }, { stringify });
}
