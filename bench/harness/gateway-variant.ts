// server.ts's gateway with parts of its tuning replaced, for A/B runs (`npm run bench -- --ab`).
// GATHERQL_BENCH_VARIANT is JSON: { tuning?, policy?, cache? } (see Variant in ab.ts).
// Everything else comes from the environment exactly as for server.ts, WORKERS too: then this
// process forks that many variant gateways and watches them, as server.ts's primary does.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { loadConfig } from '../../config.js';
import { createGateway, createLogger } from '../../gateway.js';
import { runWorkers, shareAmongWorkers } from '../../http/workers.js';
import type { Variant } from './ab.js';

const variant = JSON.parse(process.env.GATHERQL_BENCH_VARIANT ?? '{}') as Variant;
const config = loadConfig();
const logger = createLogger(config);

function fail(message: string): never {
  process.stderr.write(`gateway-variant: ${message}\n`);
  process.exit(1);
}

if (config.workers > 1 && cluster.isPrimary) await runWorkers(config, logger, fail);
else await serveVariant();

async function serveVariant() {
  const gateway = await createGateway(cluster.isWorker ? shareAmongWorkers(config) : config, {
    logger,
    ...(variant.tuning && { tuning: variant.tuning }),
    ...(variant.leaveOut && { leaveOut: variant.leaveOut }),
    ...((variant.policy || variant.cache) && {
      sources: { ...(variant.policy && { policy: variant.policy }), ...(variant.cache && { cache: variant.cache }) },
    }),
  });
  const server = createServer(gateway.listener);
  server.listen(config.port, config.host);
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void gateway.close().then(() => process.exit(0));
  });
}
