import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { requestIdFrom } from '../plugins/use-request-id.js';
import { processingTime, totalTiming } from '../plugins/use-server-timing.js';

/** A node:http request listener, such as a Yoga instance. */
export type NodeListener = (request: IncomingMessage, response: ServerResponse) => unknown;

const BAD_HOST = JSON.stringify({
  errors: [{ message: 'The Host header does not name a host: the request URL cannot be built', extensions: { code: 'BAD_REQUEST' } }],
});

const NOT_THE_ENDPOINT = JSON.stringify({
  errors: [{ message: 'Not found: GraphQL is served at its endpoint path exactly (no trailing slash)', extensions: { code: 'NOT_FOUND' } }],
});

/**
 * What server.ts listens with: Yoga, behind two checks that no Yoga plugin can make.
 * - Yoga's node adapter builds each request's URL from the Host header before any plugin
 *   runs, and answers a Host it cannot parse ("a b", "x:99999") with HTTP 500 and the error's
 *   stack trace, which names files on the server. Such a request is the client's mistake: it
 *   gets 400 here instead, and never reaches the adapter.
 * - Yoga serves GraphQL on more than its endpoint: on the endpoint with a trailing slash, and
 *   on any URL that ends with it (`/x?a=/graphql`, `//graphql`). The plugins that apply to
 *   GraphQL requests (the rate limit, `private` answers) look for the endpoint's path: such a
 *   request would pass them by. It gets 404 here.
 */
export function nodeListener(handler: NodeListener, endpoint = '/graphql'): NodeListener {
  // Hosts known to make a URL with any path: nearly every request names one of a few, and
  // parsing a URL per request to learn it again shows in the cost of an answer kept in memory.
  // (A URL's authority ends where its path begins, and a path never fails to parse.)
  const goodHosts = new Set<string>();
  return (request, response) => {
    const host = request.headers.host;
    const path = request.url ?? '/';
    const isPath = path.charCodeAt(0) === 47; /* / */
    if (path !== endpoint && takenAsGraphql(path, endpoint)) {
      answer(request, response, 404, NOT_THE_ENDPOINT);
      return;
    }
    if (host && !(isPath && goodHosts.has(host))) {
      // The URL exactly as the adapter will build it (no TLS here: a proxy terminates it).
      if (!URL.canParse(`http://${host}${path}`)) {
        answer(request, response, 400, BAD_HOST, { connection: 'close' });
        return;
      }
      // Bounded: a client that sends a new Host every time only keeps its requests parsed.
      if (isPath && goodHosts.size < GOOD_HOSTS_KEPT) goodHosts.add(host);
    }
    return handler(request, response);
  };
}

/**
 * One of these answers, with the headers every response carries (the request id, Server-Timing,
 * X-Processing-Time). Timed from here: the checks before it take nanoseconds, and timing every
 * request for the few refused would cost the rest.
 */
function answer(request: IncomingMessage, response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const started = performance.now();
  const id = requestIdFrom(request.headers['x-request-id'] as string | undefined);
  const ms = performance.now() - started;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': id,
    'server-timing': totalTiming(ms),
    'x-processing-time': processingTime(ms),
    ...headers,
  });
  response.end(body);
}

/** Hosts remembered as good at most. */
const GOOD_HOSTS_KEPT = 64;

/** Whether Yoga would serve this request URL as GraphQL at another path than exactly `endpoint` (see useUnhandledRoute). */
function takenAsGraphql(path: string, endpoint: string): boolean {
  const query = path.indexOf('?');
  const pathname = query < 0 ? path : path.slice(0, query);
  if (pathname === endpoint) return false;
  return pathname === `${endpoint}/` || path.endsWith(endpoint) || path.endsWith(`${endpoint}/`);
}
