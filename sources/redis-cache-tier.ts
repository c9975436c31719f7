import type { Redis } from 'ioredis';

/** The part of a shared cache tier this module provides; loaders/keyed-cache.ts defines the contract. */
export interface RedisCacheTier {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/**
 * A cache tier in Redis, shared by every gateway instance on it: what one instance fetched
 * from an upstream, the others read instead of asking again. Keys expire in Redis itself
 * (PX), so the tier needs no sweeping. While Redis is down the client fails commands at once
 * (no offline queue), and the caller treats a failure as a miss.
 */
export function createRedisCacheTier(redis: Redis): RedisCacheTier {
  return {
    get: (key) => redis.get(key),
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      await redis.set(key, value, 'PX', Math.ceil(ttlMs));
    },
  };
}
