import type { Redis } from 'ioredis';

/**
 * A second cache tier shared by several gateway instances: what one instance fetched from an
 * upstream, the others read instead of asking again. Values are JSON strings that the tier
 * expires after `ttlMs`. A failing tier is treated as empty, and a lock it cannot take as
 * free: Redis trouble costs an upstream call, never an answer.
 */
export interface SharedTier {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Takes `key` for `ttlMs` unless another instance holds it; true when this one now does. */
  lock(key: string, ttlMs: number): Promise<boolean>;
  /** Gives `key` up before its time (the work it guarded failed). */
  unlock(key: string): Promise<void>;
}

/**
 * The shared tier in Redis. Keys expire in Redis itself (PX), so the tier needs no sweeping.
 * While Redis is down the client fails commands at once (no offline queue), and the callers
 * fall back as SharedTier says.
 */
export function createRedisTier(redis: Redis): SharedTier {
  return {
    get: (key) => redis.get(key),
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      await redis.set(key, value, 'PX', Math.ceil(ttlMs));
    },
    async lock(key, ttlMs) {
      try {
        return (await redis.set(`${key}:lock`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
      } catch {
        return true;
      }
    },
    async unlock(key) {
      await redis.del(`${key}:lock`).catch(() => {});
    },
  };
}
