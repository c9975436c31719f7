import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { AnswerLifetime } from '../resolvers/answer-lifetime.js';
import { etagOf, notModified, PRIVATE_ANSWER, publicCacheControl, publicUntil, UNKEPT_ANSWER, VARY } from '../responses/http-caching.js';
import { keptAnswerOf, servedManyTimes } from '../responses/served-many-times.js';
import { requestSlot } from '../request-slots.js';

export interface HttpCachingOptions {
  /** The response cache's lifetime in ms: the longest an HTTP cache may keep SQL rows (see publicUntil). */
  responseTtlMs: number;
  /** The clock answer lifetimes are measured on. Default Date.now. */
  now?: () => number;
}

/** The headers an answer gets, decided once its result is known. */
interface Caching {
  cacheControl: string;
  etag?: string;
}

/**
 * Says to the HTTP caches between the gateway and its clients (a CDN, nginx's proxy_cache,
 * the browser) what they may keep. An anonymous GET whose answer may be kept (a query with no
 * error whose every upstream value is CACHED, see AnswerLifetime) gets `Cache-Control: public,
 * max-age=N` for as long as every part of it stays fresh (SQL rows: the response cache's
 * lifetime at most, see publicUntil), a strong `ETag` of its bytes and `Vary`, and a 304 with
 * no body when the client's `If-None-Match` names that ETag; any other anonymous GET gets
 * `no-store`, and every answer to a signed-in request `private, no-store`. POSTs say nothing
 * else: HTTP caches keep none.
 */
export function useHttpCaching(options: HttpCachingOptions): Plugin {
  const now = options.now ?? Date.now;
  // Executed GET answers that may be kept, and until when.
  const keepable = requestSlot<number>('keepable');
  const decided = requestSlot<Caching>('caching');
  let graphqlEndpoint = '/graphql';
  const anonymousGet = (request: Request) => request.method === 'GET' && !request.headers.has('authorization');

  return {
    onYogaInit({ yoga }) {
      graphqlEndpoint = yoga.graphqlEndpoint;
    },
    onExecutionResult({ request, result, context, setResult }) {
      if (!anonymousGet(request) || !result || isAsyncIterable(result)) return;
      const lifetime = (context as { lifetime?: AnswerLifetime }).lifetime;
      if (!lifetime || (result as ExecutionResult).errors?.length) return;
      const until = publicUntil(lifetime, options.responseTtlMs, now());
      if (until <= now()) return;
      keepable.set(request, until);
      // Serialised once: the ETag is of the very bytes the client gets.
      setResult(servedManyTimes(result as ExecutionResult));
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!anonymousGet(request)) return;
      const kept = keptAnswerOf(result);
      const until = kept ? kept.publicUntil : keepable.get(request);
      const at = now();
      if (until === undefined || until <= at || Array.isArray(result) || isAsyncIterable(result)) {
        decided.set(request, { cacheControl: UNKEPT_ANSWER });
        return;
      }
      const served = result as ExecutionResult & { stringify: (result: ExecutionResult) => string };
      const etag = kept ? kept.etag : etagOf(served.stringify(served));
      decided.set(request, { cacheControl: publicCacheControl(until, at), etag });
      if (notModified(request.headers.get('if-none-match'), etag)) {
        setResultProcessor((_result, fetchAPI) => new fetchAPI.Response(null, { status: 304 }), 'application/json');
      }
    },
    onResponse({ request, response }) {
      if (request.headers.has('authorization')) {
        if (new URL(request.url, 'http://localhost').pathname === graphqlEndpoint) response.headers.set('cache-control', PRIVATE_ANSWER);
        return;
      }
      const caching = decided.get(request);
      if (!caching) return;
      response.headers.set('cache-control', caching.cacheControl);
      if (caching.etag) {
        response.headers.set('etag', caching.etag);
        response.headers.set('vary', VARY);
      }
    },
  };
}
