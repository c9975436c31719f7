import { randomBytes } from 'node:crypto';
import { freePort, type ServerProcess, startServer } from './processes.js';
import { SIM_API_KEY } from '../../simulator/countries-keys.js';
import type { Runtime } from './runtimes.js';
import type { SimulatorClient } from './simulator-client.js';
import { GATEWAY_HEAP_ARGS } from '../../node-options.js';

/** The four upstream base URLs, and the key the simulated REST Countries takes, as every server (gatherql and the peers) reads them. */
export function upstreamEnv(sim: Pick<SimulatorClient, 'geocodingUrl' | 'forecastUrl' | 'airQualityUrl' | 'countriesUrl'>): Record<string, string> {
  return {
    OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
    OPEN_METEO_FORECAST_URL: sim.forecastUrl,
    OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
    REST_COUNTRIES_URL: sim.countriesUrl,
    REST_COUNTRIES_API_KEY: SIM_API_KEY,
  };
}

/** How a gatherql process runs besides its environment. */
export interface GatewayProcessOptions {
  /** WORKERS: with more than 1 it is ready once every worker listens. Default 1. */
  workers?: number;
  /** The Node it runs on; the harness's own by default. */
  runtime?: Runtime;
}

/**
 * Starts one gatherql process (`script`, server.ts or a variant) on a port of its own, as every
 * gatherql row runs: production mode, the simulator's upstreams, no per-client limits. `env`
 * comes last: the database, and whatever the row changes.
 */
export async function startGateway(
  name: string,
  script: string,
  sim: SimulatorClient,
  env: Record<string, string>,
  { workers = 1, runtime }: GatewayProcessOptions = {},
): Promise<ServerProcess> {
  const port = await freePort();
  // LOG_LEVEL=warn prints no "listening" line, so the harness picks the port and polls /ready.
  return startServer(
    name,
    script,
    {
      NODE_ENV: 'production',
      PORT: String(port),
      AUTH_SECRET: randomBytes(32).toString('base64url'),
      // All load comes from one address: a per-client limit would measure 429s, a per-client
      // upstream budget RATE_LIMITED cities.
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_BUDGET_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...upstreamEnv(sim),
      // The simulator is not Open-Meteo: its free tier's quota would only measure QUOTA_EXHAUSTED.
      OPEN_METEO_QUOTA: 'off',
      ...(workers > 1 && { WORKERS: String(workers) }),
      ...env,
    },
    {
      url: `http://127.0.0.1:${port}/graphql`,
      readyUrl: `http://127.0.0.1:${port}/ready`,
      // As `npm start` runs it (package.json).
      nodeArgs: GATEWAY_HEAP_ARGS,
      ...(workers > 1 && { workers }),
      ...(runtime && { runtime }),
    },
  );
}
