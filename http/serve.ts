import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createGateway, type GatewayOptions } from '../gateway.js';

/** How long in-flight requests may take to finish after SIGTERM before their sockets are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

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
 * SIGTERM or SIGINT, then drains: /ready says 503 `draining`, no new connection is taken,
 * every answer from then on closes its connection, open subscriptions are completed (and
 * WebSockets closed with 1001), requests in flight finish (within SHUTDOWN_GRACE_MS), and the
 * process exits 0.
 * A load balancer retries a refused connection on another instance, so a rolling restart
 * loses no request. `fail` ends the process with one line. `options` are the gateway's (a
 * test process passes small leases). Resolves with the GraphQL endpoint's URL once the server
 * listens.
 */
export async function serveGateway(config: Config, logger: Logger, fail: (message: string) => never, options: GatewayOptions = {}): Promise<string> {
  const gateway = await createGateway(config, { ...options, logger }).catch((error: unknown) =>
    fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`),
  );
  let stopping = false;
  const { listener } = gateway;
  const server = createServer(
    {
      // A client gets 10 s to send its headers and 30 s for the whole request (bodies are at
      // most 1 MiB): a slow-loris connection is cut rather than held for Node's 5 minutes.
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      // How often those timeouts are checked; Node's default of 30 s would triple the first.
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      // Draining: the client (or the load balancer) opens its next request elsewhere.
      if (stopping) response.shouldKeepAlive = false;
      return listener(request, response);
    },
  );
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
    logger.info({ signal }, 'shutting down: no new connections, letting requests in flight finish, completing subscriptions');
    // Open subscriptions are completed now, so that their clients reconnect to another instance.
    gateway.beginDraining();
    const cut = setTimeout(() => {
      logger.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still running after the grace period; closing their connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    cut.unref();
    // close() stops accepting and resolves once every connection has ended; idle keep-alive
    // sockets would hold it open, so they are closed now and again as requests finish.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A WebSocket is a connection the HTTP server no longer manages: closed once its operations end.
    void gateway.webSockets.drain(SHUTDOWN_GRACE_MS);
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    await closed;
    clearInterval(idleSweep);
    clearTimeout(cut);
    await gateway.close();
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  return listening;
}
