import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway.js';
import { nodeListener } from '../../plugins/node-listener.js';
import { testConfig } from './gateway.js';

export interface ListeningGateway extends Gateway {
  /** The GraphQL endpoint on a free loopback port, e.g. http://127.0.0.1:41234/graphql. */
  url: string;
}

/**
 * Serves a gateway's Yoga instance over real HTTP on 127.0.0.1, in this process, as
 * server.ts does: for clients that need a socket (a browser, an HTTP audit) but not a
 * separate process. close() stops the listener, then the gateway.
 */
export async function startListeningGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<ListeningGateway> {
  const gateway = await createGateway(testConfig(env), options);
  const server = createServer(nodeListener(gateway.yoga));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    ...gateway,
    url: `http://127.0.0.1:${port}/graphql`,
    async close() {
      // Keep-alive sockets from fetch or a browser would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}
