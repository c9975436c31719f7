import cluster from 'node:cluster';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './gateway.js';
import { serveGateway } from './http/serve.js';
import { runWorkers, shareAmongWorkers } from './http/workers.js';

// The process entry: read the configuration, then serve one gateway, or with WORKERS > 1
// fork that many gateway processes and watch them.

function fail(message: string): never {
  process.stderr.write(`gatherql: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger(config);
if (config.authSecretGenerated && cluster.isPrimary) {
  logger.warn('AUTH_SECRET is not set: using a random secret, so tokens die with this process');
  // Every worker must sign and check tokens with the same secret.
  process.env.AUTH_SECRET = config.authSecret;
}
let url: string | null = null;
if (config.workers > 1 && cluster.isPrimary) await runWorkers(config, logger, fail);
else url = await serveGateway(cluster.isWorker ? shareAmongWorkers(config) : config, logger, fail);

/** The GraphQL endpoint (and GraphiQL) this process serves, once it listens; null in a primary that only watches its workers. */
export const servingUrl = url;
