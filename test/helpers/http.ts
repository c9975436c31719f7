import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import type { Gateway, GatewayOptions } from '../../gateway.js';
import { startGateway, type TestGateway } from './gateway.js';

export interface HttpGateway {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** POSTs one operation to /graphql over real HTTP. */
  post(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** Stops listening and cuts open connections (the gateway itself stays open). */
  close(): Promise<void>;
}

/** Serves a gateway on node:http on a free loopback port, as server.ts does (WebSocket upgrades too), for tests that need real sockets. */
export async function serveOverHttp(gateway: Pick<Gateway, 'listener'> & Partial<Pick<Gateway, 'webSockets'>>): Promise<HttpGateway> {
  const server = createServer(gateway.listener);
  const { webSockets } = gateway;
  // Upgraded sockets are no longer the HTTP server's to close, but still hold its close() open.
  const upgraded = new Set<Duplex>();
  if (webSockets)
    server.on('upgrade', (request, socket, head) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      webSockets.handleUpgrade(request, socket, head);
    });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
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
        // Keep-alive sockets from fetch or a browser would otherwise hold close() open.
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * For a describe block that starts gateways over HTTP as it goes: serve() starts one
 * (config from testConfig), and every one started is closed after the block.
 */
export function useHttpGateways(defaults: Record<string, string> = {}, options: GatewayOptions = {}) {
  const started: { gateway: TestGateway; http: HttpGateway }[] = [];
  afterAll(async () => {
    for (const { gateway, http } of started) {
      await http.close();
      await gateway.close();
    }
  });
  return async (env: Record<string, string> = {}) => {
    const gateway = await startGateway({ ...defaults, ...env }, options);
    const http = await serveOverHttp(gateway);
    started.push({ gateway, http });
    return { gateway, http };
  };
}

/**
 * For a file or describe block with one gateway over HTTP: started before its tests, closed
 * after them. Read `.gateway` and `.http` inside the tests. `env` may be a function, for
 * values known only once the block runs (a simulator's URLs).
 */
export function useHttpGateway(env: Record<string, string> | (() => Record<string, string>) = {}, options: GatewayOptions = {}) {
  const suite = {} as { gateway: TestGateway; http: HttpGateway };
  beforeAll(async () => {
    suite.gateway = await startGateway(typeof env === 'function' ? env() : env, options);
    suite.http = await serveOverHttp(suite.gateway);
  });
  afterAll(async () => {
    await suite.http?.close();
    await suite.gateway?.close();
  });
  return suite;
}
