import type { IncomingMessage, ServerResponse } from 'node:http';

/** A node:http request listener, such as a Yoga instance. */
export type NodeListener = (request: IncomingMessage, response: ServerResponse) => unknown;

const BAD_HOST = JSON.stringify({
  errors: [{ message: 'The Host header does not name a host: the request URL cannot be built', extensions: { code: 'BAD_REQUEST' } }],
});

/**
 * What server.ts listens with: Yoga, behind one check that no Yoga plugin can make. Yoga's
 * node adapter builds each request's URL from the Host header before any plugin runs, and
 * answers a Host it cannot parse ("a b", "x:99999") with HTTP 500 and the error's stack
 * trace, which names files on the server. Such a request is the client's mistake: it gets
 * 400 here instead, and never reaches the adapter.
 */
export function nodeListener(handler: NodeListener): NodeListener {
  return (request, response) => {
    // The URL exactly as the adapter will build it (no TLS here: a proxy terminates it).
    const host = request.headers.host;
    if (host && !URL.canParse(`http://${host}${request.url ?? '/'}`)) {
      response.writeHead(400, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      response.end(BAD_HOST);
      return;
    }
    return handler(request, response);
  };
}
