import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';

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

/** True for a copy made by servedManyTimes (kept in memory); false for one read back from Redis as JSON. */
export function isServedCopy(result: ExecutionResult): boolean {
  return typeof (result as { stringify?: unknown }).stringify === 'function';
}

/** An answer without `extensions.cost` (see useUpstreamCost): that says what one request spent, not what another may. */
export function withoutCost(result: ExecutionResult): ExecutionResult {
  if (!result.extensions || !('cost' in result.extensions)) return result;
  const { cost: _spent, ...extensions } = result.extensions;
  return Object.keys(extensions).length > 0 ? { ...result, extensions } : { data: result.data, ...(result.errors && { errors: result.errors }) };
}
