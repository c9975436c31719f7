import { createGateway, type Gateway, type GatewayOptions } from '../../gateway.js';
import { testConfig } from './gateway.js';
import { serveOverHttp } from './http.js';

export interface ListeningGateway extends Gateway {
  /** The GraphQL endpoint on a free loopback port, e.g. http://127.0.0.1:41234/graphql. */
  url: string;
}

/**
 * A gateway served over real HTTP on 127.0.0.1, in this process, as server.ts does: for
 * clients that need a socket (a browser, an HTTP audit) but not a separate process.
 * close() stops the listener, then the gateway.
 */
export async function startListeningGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<ListeningGateway> {
  const gateway = await createGateway(testConfig(env), options);
  const http = await serveOverHttp(gateway).catch(async (error: unknown) => {
    await gateway.close();
    throw error;
  });
  return {
    ...gateway,
    url: `${http.url}/graphql`,
    async close() {
      await http.close();
      await gateway.close();
    },
  };
}
