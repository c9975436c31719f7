import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres } from './services/postgres.js';
import { findRedisServer, startRedis } from './services/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of a throwaway PostgreSQL server, or null when its binaries are absent. */
    postgresUrl: string | null;
    /**
     * `redis://127.0.0.1:<port>` of a throwaway Redis server, or null when redis-server is
     * absent. Test files share it: each appends a database number of its own (`/1`…`/15`).
     */
    redisUrl: string | null;
  }
}

/**
 * Starts the real services the suites need, once per run. Without a server's binaries its
 * suites skip and say so; under CI a missing server is an error instead.
 */
export default async function setup(project: TestProject) {
  const stops: (() => void | Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const bin = findPostgresBin();
    if (bin) {
      const postgres = await startPostgres(bin);
      stops.push(() => postgres.stop());
      project.provide('postgresUrl', postgres.url);
    } else if (process.env.CI) {
      throw new Error('CI=true but no PostgreSQL server binaries under /usr/lib/postgresql: install the postgresql package');
    } else {
      console.warn('\n[gatherql] PostgreSQL server binaries not found: the PostgreSQL suites are SKIPPED (apt-get install postgresql)\n');
      project.provide('postgresUrl', null);
    }

    const redisServer = findRedisServer();
    if (redisServer) {
      const redis = await startRedis(redisServer);
      stops.push(() => redis.stop());
      project.provide('redisUrl', redis.url);
    } else if (process.env.CI) {
      throw new Error('CI=true but redis-server is not installed: install the redis-server package');
    } else {
      console.warn('\n[gatherql] redis-server not found: the Redis suites are SKIPPED (apt-get install redis-server)\n');
      project.provide('redisUrl', null);
    }
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
