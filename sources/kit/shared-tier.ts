import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';

/** Keys one SCAN step asks for, and one UNLINK removes at most: a purge never blocks Redis for long. */
const PURGE_BATCH = 500;
/** What `lock` appends to a key: a purge by prefix counts the values it removes, not the locks. */
const LOCK_SUFFIX = ':lock';

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
  /**
   * Removes these values, and these locks (named as `lock` was given them): a value purged
   * must not leave a lock behind that keeps the next loader waiting for it. Resolves with how
   * many of the values there were. Unlike a read, a purge that cannot reach the tier rejects:
   * whoever asked must know that the values are still there.
   */
  delete(keys: readonly string[], locks?: readonly string[]): Promise<number>;
  /** Removes every value and every lock whose key starts with `prefix`; resolves with how many values there were, or rejects as `delete`. */
  deletePrefixed(prefix: string): Promise<number>;
}

/**
 * The shared tier in Redis. Keys expire in Redis itself (PX), so the tier needs no sweeping.
 * While Redis is down the client fails commands at once (no offline queue), and the callers
 * fall back as SharedTier says.
 *
 * The reads and the locks asked for in one tick go to Redis as one MGET and one pipeline, and
 * their answers come back together: the keys of a request that go on to be loaded then reach
 * the upstream batcher in one tick too, and make one upstream call, as without the tier.
 */
export function createRedisTier(redis: Redis): SharedTier {
  const reads = new DataLoader<string, string | null>((keys) => redis.mget(...keys), { cache: false });
  const locks = new DataLoader<Lock, boolean>(
    async (asked) => {
      const pipeline = redis.pipeline();
      for (const { key, ttlMs } of asked) pipeline.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      const replies = (await pipeline.exec()) ?? [];
      // A lock that could not be asked for is free (see SharedTier).
      return asked.map((_, index) => {
        const [error, reply] = replies[index] ?? [null, null];
        return error !== null || reply === 'OK';
      });
    },
    { cache: false },
  );
  return {
    get: (key) => reads.load(key),
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      await redis.set(key, value, 'PX', Math.ceil(ttlMs));
    },
    async lock(key, ttlMs) {
      try {
        return await locks.load({ key: `${key}${LOCK_SUFFIX}`, ttlMs });
      } catch {
        return true;
      }
    },
    async unlock(key) {
      await redis.del(`${key}${LOCK_SUFFIX}`).catch(() => {});
    },
    async delete(keys, locks = []) {
      let removed = 0;
      for (let at = 0; at < keys.length; at += PURGE_BATCH) removed += await redis.unlink(...keys.slice(at, at + PURGE_BATCH));
      for (let at = 0; at < locks.length; at += PURGE_BATCH) await redis.unlink(...locks.slice(at, at + PURGE_BATCH).map((lock) => `${lock}${LOCK_SUFFIX}`));
      return removed;
    },
    async deletePrefixed(prefix) {
      let removed = 0;
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${globEscaped(prefix)}*`, 'COUNT', PURGE_BATCH);
        cursor = next;
        const locks = found.filter((key) => key.endsWith(LOCK_SUFFIX));
        const values = found.filter((key) => !key.endsWith(LOCK_SUFFIX));
        if (values.length > 0) removed += await redis.unlink(...values);
        if (locks.length > 0) await redis.unlink(...locks);
      } while (cursor !== '0');
      return removed;
    },
  };
}

/** `text` as a Redis glob pattern that matches exactly it. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

interface Lock {
  key: string;
  ttlMs: number;
}
