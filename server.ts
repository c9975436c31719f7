import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { createGateway, createLogger } from './gateway.js';
import { nodeListener } from './plugins/node-listener.js';

/** How long in-flight requests may take to finish after SIGTERM before their sockets are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`gatherql: ${message}\n`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger(config);
if (config.authSecretGenerated) {
  logger.warn('AUTH_SECRET is not set: using a random secret, so tokens die with this process');
}

const gateway = await createGateway(config, { logger }).catch((error: unknown) =>
  fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`),
);

const server = createServer(
  {
    // A client gets 10 s to send its headers and 30 s for the whole request (bodies are at
    // most 1 MiB): a slow-loris connection is cut rather than held for Node's 5 minutes.
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    // How often those timeouts are checked; Node's default of 30 s would triple the first.
    connectionsCheckingInterval: 1_000,
  },
  nodeListener(gateway.yoga),
);
// Bounds what slow or numerous clients can hold: a connection beyond the cap is closed at
// once, and one on which nothing moves for SOCKET_TIMEOUT_S is closed, which frees an answer
// that a client stopped reading (the request timeouts above cover only the way in).
server.maxConnections = config.maxConnections;
/** Logs at most once a second: under a flood, one line per connection would be a flood too. */
const onceASecond = () => {
  let last = 0;
  return (log: () => void) => {
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    log();
  };
};
const dropLog = onceASecond();
server.on('drop', () => dropLog(() => logger.warn({ maxConnections: config.maxConnections }, 'connection refused: MAX_CONNECTIONS open already')));
const stallLog = onceASecond();
server.setTimeout(config.socketTimeoutMs, (socket) => {
  socket.destroy();
  stallLog(() => logger.warn({ socketTimeoutS: config.socketTimeoutMs / 1000 }, 'connection closed: nothing moved on it for SOCKET_TIMEOUT_S'));
});
server.on('error', (error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ url: `http://${config.host}:${port}/graphql` }, 'gatherql is listening; open the url for GraphiQL');
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new connections, letting requests in flight finish');
  const cut = setTimeout(() => {
    logger.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still running after the grace period; closing their connections');
    server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  cut.unref();
  // close() stops accepting and resolves once every connection has ended; idle keep-alive
  // sockets would hold it open, so they are closed now and again as requests finish.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
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
