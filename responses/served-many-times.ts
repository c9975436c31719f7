import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import type { KeptResponse } from './store.js';

/** Under this key, an answer served from the store carries what was kept (see keptAnswerOf). */
const KEPT = Symbol.for('gatherql.keptAnswer');

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
 * A copy of an answer that is served many times, serialised once: Yoga uses a result's own
 * `stringify` when it has one (graphql-jit's convention), and every request for a kept or
 * shared answer would otherwise build the same JSON again.
 */
export function servedManyTimes(result: ExecutionResult): ExecutionResult {
  let json: string | undefined;
  // What Yoga hands in is this answer minus its internals (the ETag headers): the same each time.
  const stringify = (sanitized: unknown) => (json ??= JSON.stringify(sanitized));
  return Object.assign({ ...result }, { stringify });
}

/** An answer without `extensions.cost` (see useUpstreamCost): that says what one request spent, not what another may. */
export function withoutCost(result: ExecutionResult): ExecutionResult {
  if (!result.extensions || !('cost' in result.extensions)) return result;
  const { cost: _spent, ...extensions } = result.extensions;
  return Object.keys(extensions).length > 0 ? { ...result, extensions } : { data: result.data, ...(result.errors && { errors: result.errors }) };
}

/**
 * The answer a hit hands Yoga: the kept bytes as they are (Yoga writes what `stringify`
 * returns), tagged with what was kept for HTTP caching. Nothing is parsed again (the request
 * log and the metrics learn of the operation from noteRan).
 */
export function servedFromStore(kept: KeptResponse): ExecutionResult {
  return { [KEPT]: kept, stringify: () => kept.body } as ExecutionResult;
}

/** What was kept of an answer served from the store; undefined for any other answer. */
export function keptAnswerOf(result: unknown): KeptResponse | undefined {
  return result && typeof result === 'object' && KEPT in result ? (result as { [KEPT]: KeptResponse })[KEPT] : undefined;
}
