import { loadConfig } from '../../config.js';
import { DEFAULT_TUNING } from '../../gateway.js';
import { OPEN_METEO_CACHE } from '../../sources/open-meteo/service.js';
import { copyBenchDatabase } from './database.js';
import { startGateway, upstreamEnv } from './gateway-start.js';
import { freePort, startServer } from './processes.js';
import { behindNginx, behindNginxCache, withRedis } from './scaled-servers.js';
import type { CacheGroup, ServerSpec } from './server-spec.js';

let starts = 0;

const config = loadConfig({});
/**
 * gatherql's freshness rules with its defaults, which every cached peer keeps too: a value is
 * never older than gatherql's would be. The numbers' homes are gatherql's config and constants.
 */
export const FRESHNESS = {
  geocodingS: OPEN_METEO_CACHE.geocodingTtlMs / 1000,
  weatherS: config.weatherCacheTtlS,
  airQualityS: config.airQualityCacheTtlS,
  countryS: config.countryCacheTtlS,
  /** gatherql keeps an anonymous answer at most this long. */
  answerMs: DEFAULT_TUNING.responseTtlMs,
};

/** FRESHNESS as the environment of a peer (bench/peers/shared.ts reads it). */
function freshnessEnv(): Record<string, string> {
  return {
    GEOCODING_CACHE_TTL_S: String(FRESHNESS.geocodingS),
    WEATHER_CACHE_TTL_S: String(FRESHNESS.weatherS),
    AIR_QUALITY_CACHE_TTL_S: String(FRESHNESS.airQualityS),
    COUNTRY_CACHE_TTL_S: String(FRESHNESS.countryS),
    RESPONSE_CACHE_TTL_MS: String(FRESHNESS.answerMs),
  };
}

const s = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`);
const DATA_TTLS = `places ${s(FRESHNESS.geocodingS)}, weather ${s(FRESHNESS.weatherS)}, air quality ${s(FRESHNESS.airQualityS)}, countries ${s(FRESHNESS.countryS)}`;
const GATEWAY_CACHES = `upstream caches (${DATA_TTLS}; stale-while-revalidate ${config.staleWhileRevalidateS} s, refresh-ahead of hot keys)`;

/** gatherql as it runs in production: server.ts, NODE_ENV=production, its own config from the environment. */
export function gatewaySpec(
  options: {
    name?: string;
    description?: string;
    group?: CacheGroup;
    caches?: string;
    script?: string;
    extraEnv?: Record<string, string>;
    /** WORKERS: node:cluster processes of the one gateway (1, the default, runs no primary). */
    workers?: number;
    scenarios?: string[];
    fullRunOnly?: string[];
  } = {},
): ServerSpec {
  const name = options.name ?? 'gatherql';
  return {
    name,
    description: options.description ?? 'gatherql (`server.ts`, NODE_ENV=production)',
    group: options.group ?? 'cached',
    peer: false,
    caches:
      options.caches ??
      `response cache of anonymous answers, ${FRESHNESS.answerMs / 1000} s at most and no longer than their upstream values stay fresh; identical queries in flight shared; ${GATEWAY_CACHES}`,
    ...(options.scenarios && { scenarios: options.scenarios }),
    ...(options.fullRunOnly && { fullRunOnly: options.fullRunOnly }),
    packages: ['graphql-yoga', '@pothos/core', 'kysely', 'better-sqlite3', 'got', 'dataloader', 'graphql-jit'],
    async start({ sim, seedFile, workDir, runtime }, scenarioEnv = {}) {
      starts += 1;
      const file = copyBenchDatabase(seedFile, workDir, `${name}-${starts}`);
      return startGateway(
        name,
        options.script ?? 'server.ts',
        sim,
        { DATABASE_URL: `file:${file}`, ...options.extraEnv, ...scenarioEnv },
        {
          ...(options.workers && { workers: options.workers }),
          ...(runtime && { runtime }),
        },
      );
    },
  };
}

/** A peer in bench/peers/<name>.ts; it has no readiness route, so ready is its first answer to a query. */
function peerSpec(spec: Omit<ServerSpec, 'start' | 'peer'>): ServerSpec {
  return {
    ...spec,
    peer: true,
    async start({ sim, seedFile, workDir, runtime }, scenarioEnv = {}) {
      const port = await freePort();
      starts += 1;
      const file = copyBenchDatabase(seedFile, workDir, `${spec.name}-${starts}`);
      const url = `http://127.0.0.1:${port}/graphql`;
      return startServer(
        spec.name,
        `bench/peers/${spec.name}.ts`,
        { NODE_ENV: 'production', PORT: String(port), DATABASE_FILE: file, ...upstreamEnv(sim), ...freshnessEnv(), ...scenarioEnv },
        {
          url,
          readyInit: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' },
          ...(runtime && { runtime }),
        },
      );
    },
  };
}

/**
 * The scenarios of the cached peers: those whose answers can come from a cache, and the cold
 * cities, where how each peer fetches the parts shows in its upstream calls. (In the other cold
 * scenarios no cache helps, and the executed peers stand for them.)
 */
const CACHED_PEER_SCENARIOS = ['a', 'b', 'f', 'g', 'h'];

/**
 * The executed peers' warm cities: each request makes 23-80 upstream calls and takes seconds at
 * 100 connections, so a quick round answers next to nothing; full runs measure them.
 */
const WARM_CITIES_FULL_RUN_ONLY = ['h'];

/** gatherql executing every request: the response cache and query sharing off, its upstream caches on. */
const EXECUTING = {
  group: 'executed' as const,
  caches: `no response cache, no query sharing; ${GATEWAY_CACHES}`,
  script: 'bench/harness/gateway-variant.ts',
  extraEnv: { GATHERQL_BENCH_VARIANT: JSON.stringify({ tuning: { responseTtlMs: 0, shareQueries: false } }) },
};

const THREE_INSTANCES_CACHES =
  "as gatherql's, but the response cache (and query sharing), the upstream caches and the limits live in Redis, shared by the three";

/** gatherql and its peers, in the order of every table: gatherql's rows, the executed peers, the cached peers. */
export const SERVERS: ServerSpec[] = [
  gatewaySpec({ scenarios: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'] }),
  // (n): what nginx's proxy_cache in front of it answers, and what reaches it.
  behindNginxCache(
    gatewaySpec({
      name: 'gatherql-behind-nginx-cache',
      description: 'gatherql (`server.ts`) behind nginx with the proxy_cache recipe of docs/deploy.md (one worker process, keep-alive to the gateway)',
      caches: "gatherql's, and nginx's proxy_cache: each GET answer for its max-age (the time every part of it stays fresh)",
      scenarios: ['n'],
    }),
  ),
  // What a request costs when it must execute: signed-in, or on PostgreSQL, where the response
  // cache and query sharing are off. Same process otherwise: its upstream caches stay.
  gatewaySpec({
    name: 'gatherql-executing',
    description: 'gatherql with the response cache and query sharing off (`bench/harness/gateway-variant.ts`), as for signed-in requests or on PostgreSQL',
    ...EXECUTING,
    scenarios: ['a', 'b', 'e', 'f', 'h', 'j'],
    fullRunOnly: ['e'],
  }),
  gatewaySpec({
    name: 'gatherql-no-refresh-ahead',
    description: 'gatherql with refresh-ahead off (`bench/harness/gateway-variant.ts`)',
    caches: 'as gatherql, without refresh-ahead',
    script: 'bench/harness/gateway-variant.ts',
    extraEnv: { GATHERQL_BENCH_VARIANT: JSON.stringify({ cache: { refreshAhead: null } }) },
    scenarios: ['i'],
  }),
  // Scale-out (j): the same gateway spread over processes (docs/deploy.md).
  gatewaySpec({
    name: 'gatherql-executing-2-workers',
    description: 'gatherql-executing with WORKERS=2: a node:cluster primary and two workers on one port, on one SQLite file',
    ...EXECUTING,
    workers: 2,
    scenarios: ['j'],
  }),
  withRedis(
    gatewaySpec({
      name: 'gatherql-2-workers',
      description:
        'gatherql (`server.ts`) with WORKERS=2 and REDIS_URL: a node:cluster primary and two workers on one port, on one SQLite file, and a Redis server of its own',
      caches: "as gatherql's, but the response cache (and query sharing) and the upstream caches live in Redis, shared by both workers",
      workers: 2,
      scenarios: ['j'],
    }),
  ),
  behindNginx(
    {
      name: 'gatherql-3-instances',
      description:
        'three gatherql instances (`server.ts`) on one PostgreSQL and one Redis, behind nginx (round robin, 128 idle connections kept to the instances), as docs/deploy.md describes',
      group: 'cached',
      caches: THREE_INSTANCES_CACHES,
      scenarios: ['j'],
    },
    3,
  ),
  // The same with nginx keeping fewer idle connections to the instances than the load has
  // clients (100): a request that finds none idle opens a new one, and this row says what that costs.
  behindNginx(
    {
      name: 'gatherql-3-instances-keepalive-32',
      description: 'gatherql-3-instances with nginx keeping up to 32 idle connections to the instances (`keepalive 32`) instead of 128',
      group: 'cached',
      caches: THREE_INSTANCES_CACHES,
      scenarios: ['j'],
    },
    3,
    32,
  ),
  // Not a peer: the limit of any server for an answer already in memory, beside gatherql's rows.
  {
    ...peerSpec({
      name: 'raw-node',
      description: 'node:http writing, for each request, the bytes gatherql answered to the same request, kept in memory (`bench/peers/raw-node.ts`)',
      group: 'cached',
      caches: "every answer, forever: gatherql's bytes, asked once per distinct request in the warm-up",
      packages: [],
      scenarios: ['a', 'b', 'n'],
    }),
    peer: false,
  },
  peerSpec({
    name: 'yoga-plain',
    description: 'graphql-yoga with the simplest resolvers: one fetch per upstream call, one SQL query per author (the plain baseline)',
    group: 'executed',
    caches: 'none (the plain baseline: no loaders, no cache)',
    packages: ['graphql-yoga', 'better-sqlite3'],
    scenarios: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    fullRunOnly: WARM_CITIES_FULL_RUN_ONLY,
  }),
  peerSpec({
    name: 'apollo',
    description:
      'Apollo Server 4 standalone, a RESTDataSource per API (DataLoader batching inside for the uncacheable Open-Meteo calls), DataLoader for authors',
    group: 'executed',
    caches:
      "RESTDataSource's defaults: identical GETs in flight deduplicated; its HTTP cache keeps what Cache-Control allows (REST Countries: a year; Open-Meteo sends none)",
    packages: ['@apollo/server', '@apollo/datasource-rest', 'dataloader', 'better-sqlite3'],
    scenarios: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    fullRunOnly: WARM_CITIES_FULL_RUN_ONLY,
  }),
  peerSpec({
    name: 'mercurius',
    description: 'Mercurius on Fastify, graphql-jit (jit: 1), Mercurius loaders (authors, and each part of a city)',
    group: 'executed',
    caches: 'none',
    packages: ['mercurius', 'fastify', 'graphql-jit', 'better-sqlite3'],
    scenarios: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    fullRunOnly: WARM_CITIES_FULL_RUN_ONLY,
  }),
  peerSpec({
    name: 'apollo-cached',
    description:
      'the apollo peer with RESTDataSource TTLs (`cacheOptionsFor`) and `@apollo/server-plugin-response-cache`; per-location calls, as its docs advise for cacheable requests',
    group: 'cached',
    caches: `response cache plugin, answers ${FRESHNESS.answerMs / 1000} s (cache control \`defaultMaxAge\`); RESTDataSource HTTP cache with \`ttl\`: ${DATA_TTLS}`,
    packages: ['@apollo/server', '@apollo/server-plugin-response-cache', '@apollo/datasource-rest', 'dataloader', 'better-sqlite3'],
    scenarios: CACHED_PEER_SCENARIOS,
    fullRunOnly: ['f', 'g'],
  }),
  peerSpec({
    name: 'mercurius-cached',
    description: 'the mercurius peer with `mercurius-cache` on its resolvers and loaders',
    group: 'cached',
    caches: `mercurius-cache (resolver results; identical calls in flight shared): posts and authors ${FRESHNESS.answerMs / 1000} s, weather ${s(FRESHNESS.weatherS)}, places ${s(FRESHNESS.geocodingS)}, air quality ${s(FRESHNESS.airQualityS)}, countries ${s(FRESHNESS.countryS)}`,
    packages: ['mercurius', 'mercurius-cache', 'fastify', 'graphql-jit', 'better-sqlite3'],
    scenarios: CACHED_PEER_SCENARIOS,
    fullRunOnly: ['f', 'g'],
  }),
  peerSpec({
    name: 'yoga-cached',
    description:
      'graphql-yoga with DataLoader per request (authors; batched forecast and air-quality calls, countries one code per call side by side) and `@graphql-yoga/plugin-response-cache`',
    group: 'cached',
    caches: `response cache plugin: answers ${FRESHNESS.answerMs / 1000} s, weather answers ${s(FRESHNESS.weatherS)}, cities answers ${s(Math.min(FRESHNESS.weatherS, FRESHNESS.airQualityS, FRESHNESS.countryS, FRESHNESS.geocodingS))} (their shortest part); answers with an error part not kept`,
    packages: ['graphql-yoga', '@graphql-yoga/plugin-response-cache', 'dataloader', 'better-sqlite3'],
    scenarios: CACHED_PEER_SCENARIOS,
    fullRunOnly: ['f', 'g'],
  }),
];
