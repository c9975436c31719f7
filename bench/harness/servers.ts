import { randomBytes } from 'node:crypto';
import { copyBenchDatabase } from './database.js';
import { freePort, type ServerProcess, startServer } from './processes.js';
import type { SimulatorClient } from './simulator-client.js';

/** What a server under benchmark is started with. */
export interface ServerEnvironment {
  sim: SimulatorClient;
  /** The seeded SQLite file; each server start gets its own copy. */
  seedFile: string;
  /** Where the copies go. */
  workDir: string;
}

export interface ServerSpec {
  /** Short name, used in tables and file names. */
  name: string;
  /** What it is, for the report. */
  description: string;
  /** npm packages whose versions the report lists for this server (paths under node_modules). */
  packages: string[];
  /** Only these scenarios (ids); all when absent. */
  scenarios?: string[];
  /** A row that only explains another (left out of --quick runs). */
  explains?: boolean;
  start(env: ServerEnvironment): Promise<ServerProcess>;
}

let starts = 0;

/** The four upstream base URLs, as every server (gatherql and the peers) reads them. */
export function upstreamEnv(sim: SimulatorClient): Record<string, string> {
  return {
    OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
    OPEN_METEO_FORECAST_URL: sim.forecastUrl,
    OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
    REST_COUNTRIES_URL: sim.countriesUrl,
  };
}

/** gatherql as it runs in production: server.ts, NODE_ENV=production, its own config from the environment. */
export function gatewaySpec(
  options: { name?: string; description?: string; script?: string; extraEnv?: Record<string, string>; scenarios?: string[]; explains?: boolean } = {},
): ServerSpec {
  const name = options.name ?? 'gatherql';
  return {
    name,
    description: options.description ?? 'gatherql (`server.ts`, NODE_ENV=production)',
    ...(options.scenarios && { scenarios: options.scenarios }),
    ...(options.explains && { explains: true }),
    packages: ['graphql-yoga', '@pothos/core', 'kysely', 'better-sqlite3', 'got', 'dataloader', '@envelop/graphql-jit', '@graphql-yoga/plugin-response-cache'],
    async start({ sim, seedFile, workDir }) {
      const port = await freePort();
      const file = copyBenchDatabase(seedFile, workDir, `${name}-${(starts += 1)}`);
      // LOG_LEVEL=warn prints no "listening" line, so the harness picks the port and polls /health.
      return startServer(
        name,
        options.script ?? 'server.ts',
        {
          NODE_ENV: 'production',
          PORT: String(port),
          AUTH_SECRET: randomBytes(32).toString('base64url'),
          // All load comes from one address: a per-client limit would measure 429s, a per-client
          // upstream budget RATE_LIMITED cities.
          RATE_LIMIT_PER_MINUTE: '0',
          UPSTREAM_BUDGET_PER_MINUTE: '0',
          LOG_LEVEL: 'warn',
          DATABASE_URL: `file:${file}`,
          ...upstreamEnv(sim),
          // The simulator is not Open-Meteo: its free tier's quota would only measure QUOTA_EXHAUSTED.
          OPEN_METEO_QUOTA: 'off',
          ...options.extraEnv,
        },
        { url: `http://127.0.0.1:${port}/graphql`, readyUrl: `http://127.0.0.1:${port}/health` },
      );
    },
  };
}

function peerSpec(name: string, description: string, packages: string[]): ServerSpec {
  return {
    name,
    description,
    packages,
    async start({ sim, seedFile, workDir }) {
      const file = copyBenchDatabase(seedFile, workDir, `${name}-${(starts += 1)}`);
      return startServer(name, `bench/peers/${name}.ts`, {
        NODE_ENV: 'production',
        DATABASE_FILE: file,
        ...upstreamEnv(sim),
      });
    },
  };
}

/** gatherql and its peers, in the order of every table. */
export const SERVERS: ServerSpec[] = [
  gatewaySpec(),
  // What a request costs when it must execute: signed-in, or on PostgreSQL, where the response
  // cache and query sharing are off. Same process otherwise.
  gatewaySpec({
    name: 'gatherql-executing',
    description: 'gatherql with the response cache and query sharing off (`bench/harness/gateway-variant.ts`), as for signed-in requests or on PostgreSQL',
    script: 'bench/harness/gateway-variant.ts',
    extraEnv: { GATHERQL_BENCH_VARIANT: JSON.stringify({ tuning: { responseCacheMs: 0, shareQueries: false } }) },
    scenarios: ['a', 'b', 'e'],
    explains: true,
  }),
  peerSpec('yoga-plain', 'graphql-yoga, simplest resolvers: no loaders, no cache', ['graphql-yoga', 'better-sqlite3']),
  peerSpec('apollo', 'Apollo Server 4 standalone, @apollo/datasource-rest, DataLoader', ['@apollo/server', '@apollo/datasource-rest', 'dataloader', 'better-sqlite3']),
  peerSpec('mercurius', 'Mercurius on Fastify, graphql-jit (jit: 1), Mercurius loaders', ['mercurius', 'fastify', 'mercurius/node_modules/graphql-jit', 'better-sqlite3']),
];
