import type { TestProject } from 'vitest/node';
import { findRedisServer, startRedis } from './services/redis.js';

/**
 * The global setup of `npm run test:mutation` (vitest.mutation.config.ts): a throwaway Redis,
 * and no PostgreSQL. None of the mutated code speaks SQL, so a mutant gains nothing from
 * running its tests a second time on the other dialect; it would only take twice as long.
 */
export default async function setup(project: TestProject) {
  project.provide('postgresUrl', null);
  const bin = findRedisServer();
  if (!bin) {
    console.warn('\n[gatherql] redis-server not found: the Redis suites are SKIPPED, and the mutants they would kill survive\n');
    project.provide('redisUrl', null);
    return;
  }
  const redis = await startRedis(bin);
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
