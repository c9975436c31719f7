import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createGateway, type GatewayOptions } from '../gateway.js';
import { createConnectionDrain } from './connection-drain.js';

/** How long requests in flight may take to finish once the server stops listening, before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How long a connection is kept open for the client's next request (Node's default, stated
 * here because a load balancer depends on it). A balancer in front must close its idle
 * connections sooner (docs/deploy.md's nginx: 4 s), so that it never sends a request on a
 * connection this side is closing; a drain waits at most this long for them (see
 * http/connection-drain.ts).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Logs at most once a second: under a flood, one line per connection would be a flood too. */
function onceASecond() {
  let last = 0;
  return (log: () => void) => {
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    log();
  };
}

/**
 * Serves one gateway on config.host:port (HTTP, and the graphql-ws protocol on upgrades) until
 * SIGTERM or SIGINT, then drains: /ready says 503 `draining`, every answer from then on closes
 * its connection, open subscriptions are completed (and WebSockets closed with 1001), on
 * SIGTERM the connections a load balancer keeps alive are let go without a race
 * (http/connection-drain.ts), then no new connection is taken, requests in flight finish
 * (within SHUTDOWN_GRACE_MS), and the process exits 0. A load balancer sends a refused connection's request to another instance,
 * so a rolling restart loses no request. `fail` ends the process with one line. `options` are
 * the gateway's (a test process passes small leases). Resolves with the GraphQL endpoint's URL
 * once the server listens.
 */
export async function serveGateway(config: Config, logger: Logger, fail: (message: string) => never, options: GatewayOptions = {}): Promise<string> {
  const gateway = await createGateway(config, { ...options, logger }).catch((error: unknown) =>
    fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`),
  );
  let stopping = false;
  const { listener } = gateway;
  const server = createServer({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // A client gets 10 s to send its headers and 30 s for the whole request (bodies are at
    // most 1 MiB): a slow-loris connection is cut rather than held for Node's 5 minutes.
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    // How often those timeouts are checked; Node's default of 30 s would triple the first.
    connectionsCheckingInterval: 1_000,
  });
  // Before the listener: it follows every answer from the start.
  const connections = createConnectionDrain(server);
  server.on('request', listener);
  // Bounds what slow or numerous clients can hold: a connection beyond the cap is closed at
  // once, and one on which nothing moves for SOCKET_TIMEOUT_S is closed, which frees an answer
  // that a client stopped reading (the request timeouts above cover only the way in).
  server.maxConnections = config.maxConnections;
  const dropLog = onceASecond();
  server.on('drop', () => dropLog(() => logger.warn({ maxConnections: config.maxConnections }, 'connection refused: MAX_CONNECTIONS open already')));
  const stallLog = onceASecond();
  server.setTimeout(config.socketTimeoutMs, (socket) => {
    socket.destroy();
    stallLog(() => logger.warn({ socketTimeoutS: config.socketTimeoutMs / 1000 }, 'connection closed: nothing moved on it for SOCKET_TIMEOUT_S'));
  });
  // The graphql-ws protocol: the same port and path, as an upgrade.
  server.on('upgrade', (request, socket, head) => gateway.webSockets.handleUpgrade(request, socket, head));
  server.on('error', (error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));
  const listening = new Promise<string>((resolve) =>
    server.listen(config.port, config.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const url = `http://${config.host}:${port}/graphql`;
      logger.info({ url }, 'gatherql is listening; open the url for GraphiQL');
      resolve(url);
    }),
  );

  async function shutdown(signal: NodeJS.Signals) {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal },
      'shutting down: completing subscriptions, closing the kept-alive connections, then taking no new ones and letting requests in flight finish',
    );
    // Open subscriptions are completed now, so that their clients reconnect to another instance.
    gateway.beginDraining();
    // A WebSocket is a connection the HTTP server no longer manages: closed once its operations end.
    void gateway.webSockets.drain(SHUTDOWN_GRACE_MS);
    let cut: NodeJS.Timeout | undefined;
    await connections.drain({
      // SIGTERM is how a deploy stops an instance behind a load balancer; SIGINT is Ctrl-C,
      // which need not wait for a browser's idle connection to go.
      keptAliveMs: signal === 'SIGTERM' ? KEEP_ALIVE_TIMEOUT_MS : 0,
      stoppedListening: () => {
        cut = setTimeout(() => {
          logger.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still running after the grace period; closing their connections');
          server.closeAllConnections();
        }, SHUTDOWN_GRACE_MS);
        cut.unref();
      },
    });
    clearTimeout(cut);
    await gateway.close();
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  return listening;
}
