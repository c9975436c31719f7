import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../gateway.js';
import { nodeListener } from '../../plugins/node-listener.js';

export interface HttpGateway {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** POSTs one operation to /graphql over real HTTP. */
  post(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** Stops listening and cuts open connections (the gateway itself stays open). */
  close(): Promise<void>;
}

/** Serves a gateway on node:http on a free loopback port, as server.ts does, for tests that need real sockets. */
export async function serveOverHttp(gateway: Pick<Gateway, 'yoga'>): Promise<HttpGateway> {
  const server = createServer(nodeListener(gateway.yoga));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    post: (query, variables, headers = {}) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
