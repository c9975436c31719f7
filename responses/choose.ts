import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Redis } from '../redis.js';
import { createRedisResponseStore } from './redis-store.js';
import { createMemoryResponseStore, type ResponseStore } from './store.js';

/**
 * Where anonymous answers are kept, or null for nowhere. In this process's memory where it is
 * the only writer (the embedded SQLite database, one worker): every write it makes bumps the
 * generation at once. In Redis where there is one and other processes write too (PostgreSQL,
 * or several workers): every instance reads the generation every write bumps. With neither,
 * an answer could outlive a write made elsewhere, so none is kept or shared.
 */
export function responseStoreFor(
  config: Pick<Config, 'databaseUrl' | 'workers'>,
  redis: Redis | null,
  now: () => number,
  logger: Logger,
): ResponseStore | null {
  const onlyWriter = !/^postgres(ql)?:/.test(config.databaseUrl) && config.workers === 1;
  if (onlyWriter) return createMemoryResponseStore();
  if (!redis) return null;
  let lastWarning = 0;
  return createRedisResponseStore(redis, now, (error) => {
    // Once a minute at most: every request asks the store.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'response cache: Redis is unreachable; executing every request meanwhile');
  });
}
