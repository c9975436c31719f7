import { loadConfig } from '../../config.js';
import { createLogger, type GatewayOptions } from '../../gateway.js';
import { serveGateway } from '../../http/serve.js';

// server.ts for tests that need gateway options a real deployment keeps at their defaults
// (a job lease of seconds rather than half a minute): one gateway, served and drained as
// server.ts serves it, its options read as JSON from TEST_GATEWAY_OPTIONS.

const options = JSON.parse(process.env.TEST_GATEWAY_OPTIONS ?? '{}') as GatewayOptions;
const config = loadConfig();
await serveGateway(
  config,
  createLogger(config),
  (message) => {
    process.stderr.write(`gatherql: ${message}\n`);
    process.exit(1);
  },
  options,
);
