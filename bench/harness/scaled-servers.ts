import { randomBytes } from 'node:crypto';
import { seedBenchPostgres } from './database.js';
import { startGateway } from './gateway-start.js';
import type { ServerProcess, ServiceProcess } from './processes.js';
import type { ServerSpec } from './server-spec.js';
import { type RunningService, startBenchNginx, startBenchPostgres, startBenchRedis } from './services.js';

// Set-ups of more than one process, as docs/deploy.md describes them, each measured as one
// server: gatherql's processes summed, and the services beside them (Redis, PostgreSQL,
// nginx) counted apart. Each start is fresh: its services are started with it and stopped with it.

/** Stops what was started, last first, and passes on why the start failed. */
async function undo(services: ServiceProcess[], parts: ServerProcess[], error: unknown): Promise<never> {
  for (const part of [...parts].reverse()) await part.stop();
  for (const service of [...services].reverse()) await service.stop();
  throw error;
}

/** A spec whose gateway gets a Redis server of its own (REDIS_URL), started with it and stopped after it. */
export function withRedis(spec: ServerSpec): ServerSpec {
  return {
    ...spec,
    packages: [...spec.packages, 'ioredis'],
    async start(env, scenarioEnv = {}) {
      const redis = await startBenchRedis();
      const server = await spec.start(env, { REDIS_URL: redis.url, ...scenarioEnv }).catch((error: unknown) => undo([redis], [], error));
      return {
        ...server,
        services: [redis],
        stop: async () => {
          await server.stop();
          await redis.stop();
        },
      };
    },
  };
}

/**
 * Several gateway processes answering at one URL (the load balancer `front`'s), as one server:
 * CPU and peak RSS added up over all their processes, start-up the slowest one's (each is
 * started alone), the event-loop delay the worst one's. `services` (`front` among them) are
 * counted apart.
 */
function together(name: string, front: RunningService, parts: ServerProcess[], services: RunningService[]): ServerProcess {
  const sum = (of: (part: ServerProcess) => number) => parts.reduce((total, part) => total + of(part), 0);
  return {
    name,
    url: `${front.url}/graphql`,
    // The first instance stands for them where one process is asked for (the soak reads its log).
    child: parts[0]!.child,
    peakRssMiB: () => Math.round(sum((part) => part.peakRssMiB()) * 10) / 10,
    cpuSeconds: () => sum((part) => part.cpuSeconds()),
    pids: () => parts.flatMap((part) => part.pids()),
    services,
    startupMs: Math.max(...parts.map((part) => part.startupMs)),
    eventLoopDelayP99Ms: async () => {
      const delays = await Promise.all(parts.map((part) => part.eventLoopDelayP99Ms()));
      return delays.some((delay) => delay === null) ? null : Math.max(...(delays as number[]));
    },
    stop: async () => {
      // The load balancer first, as in a real shutdown; then the instances; then what they used.
      await front.stop();
      for (const part of parts) await part.stop();
      for (const service of services) if (service !== front) await service.stop();
    },
  };
}

/**
 * `instances` gatherql processes (server.ts) on one PostgreSQL, seeded with the bench's demo
 * data, and one Redis (REDIS_URL: the response cache, upstream caches and limits live there),
 * behind nginx, round robin. The instances share AUTH_SECRET and trust nginx's X-Forwarded-For,
 * as docs/deploy.md asks. `keepalive`: the idle connections nginx keeps to the instances (the
 * docs' 128 when absent); a request that finds none opens a new connection to an instance.
 */
export function behindNginx(spec: Omit<ServerSpec, 'start' | 'peer' | 'packages'>, instances: number, keepalive?: number): ServerSpec {
  return {
    ...spec,
    peer: false,
    packages: ['graphql-yoga', '@pothos/core', 'kysely', 'pg', 'ioredis', 'got', 'dataloader', 'graphql-jit'],
    async start({ sim, runtime }, scenarioEnv = {}) {
      const services: RunningService[] = [];
      const parts: ServerProcess[] = [];
      try {
        const postgres = await startBenchPostgres();
        services.push(postgres);
        await seedBenchPostgres(postgres.url);
        const redis = await startBenchRedis();
        services.push(redis);
        const env = {
          DATABASE_URL: postgres.url,
          REDIS_URL: redis.url,
          AUTH_SECRET: randomBytes(32).toString('base64url'),
          TRUST_PROXY: 'true',
          ...scenarioEnv,
        };
        // One after another, so that each start-up is its own and not three sharing two cores.
        for (let n = 1; n <= instances; n += 1) parts.push(await startGateway(`${spec.name}-${n}`, 'server.ts', sim, env, runtime && { runtime }));
        const nginx = await startBenchNginx(
          parts.map((part) => Number(new URL(part.url).port)),
          keepalive === undefined ? {} : { keepalive },
        );
        services.push(nginx);
        return together(spec.name, nginx, parts, services);
      } catch (error) {
        return undo(services, parts, error);
      }
    },
  };
}

/**
 * `spec`'s gateway behind nginx with the proxy_cache recipe of docs/deploy.md: what nginx
 * answers from its cache never reaches the gateway. nginx is counted apart, as a service.
 */
export function behindNginxCache(spec: ServerSpec): ServerSpec {
  return {
    ...spec,
    async start(env, scenarioEnv = {}) {
      const gateway = await spec.start(env, scenarioEnv);
      const nginx = await startBenchNginx([Number(new URL(gateway.url).port)], { cache: true }).catch((error: unknown) => undo([], [gateway], error));
      return together(spec.name, nginx, [gateway], [nginx]);
    },
  };
}
