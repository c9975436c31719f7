import { AsyncLocalStorage } from 'node:async_hooks';
import type { Plugin } from 'graphql-yoga';

const scope = new AsyncLocalStorage<Request>();

/**
 * The HTTP request that the running code serves, or undefined outside one. It reaches
 * code that gets no context argument: the SQL log callback, upstream clients, Yoga's logger.
 */
export function currentRequest(): Request | undefined {
  return scope.getStore();
}

/**
 * Runs all handling of each request (every hook, parsing, resolvers, the response hooks)
 * inside an async scope that remembers the request. Hooked in as the server adapter's
 * request instrumentation, which wraps the whole handler; put this plugin first.
 */
export function useRequestScope(): Plugin {
  return {
    instrumentation: {
      request: ({ request }, handle) => scope.run(request, handle),
    },
  };
}
