import type { Redis } from 'ioredis';
import type { KeptResponse, Lookup, ResponseStore } from './store.js';

const PREFIX = 'gatherql:responses:';
const GENERATION = `${PREFIX}generation`;
/** Keys one SCAN step of a purge asks for. */
const PURGE_BATCH = 500;
const keyOf = (generation: number, key: string) => `${PREFIX}${generation}:${key}`;

// The generation and what is kept for a key under it, in one round trip.
const LOOK_UP = `
local generation = redis.call('GET', KEYS[1]) or '0'
return { generation, redis.call('GET', 'gatherql:responses:' .. generation .. ':' .. ARGV[1]) }`;

/**
 * Answers and the generation in Redis, shared by every instance on it, so that a write
 * through any instance is seen through all: the writing request answers only once its bump
 * has reached Redis (see `settled`), and every later look-up, on any instance, reads the new
 * generation. Kept answers expire in Redis itself. While Redis fails, nothing is found and
 * nothing kept (`onError` hears why): answers are then executed, never served stale.
 */
export function createRedisResponseStore(redis: Redis, now: () => number = Date.now, onError: (error: unknown) => void = () => {}): ResponseStore {
  const pending = new Set<Promise<unknown>>();
  const nothing = (): Lookup => ({ generation: -1, kept: undefined });
  return {
    async lookUp(key) {
      try {
        const [generation, text] = (await redis.eval(LOOK_UP, 1, GENERATION, key)) as [string, string | null];
        return { generation: Number(generation), kept: text === null ? undefined : (JSON.parse(text) as KeptResponse) };
      } catch (error) {
        onError(error);
        return nothing();
      }
    },
    async generation() {
      try {
        return Number((await redis.get(GENERATION)) ?? 0);
      } catch (error) {
        onError(error);
        return -1;
      }
    },
    keep(key, kept, generation) {
      const ttlMs = Math.ceil(kept.until - now());
      if (generation < 0 || ttlMs <= 0) return;
      redis.set(keyOf(generation, key), JSON.stringify(kept), 'PX', ttlMs).catch(onError);
    },
    invalidate() {
      const bump = redis.incr(GENERATION).catch(onError);
      pending.add(bump);
      void bump.finally(() => pending.delete(bump));
    },
    async purge() {
      // First the bump: an answer kept from now on is under a generation nobody looks up.
      await redis.incr(GENERATION);
      let removed = 0;
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', PURGE_BATCH);
        cursor = next;
        const answers = found.filter((key) => key !== GENERATION);
        if (answers.length > 0) removed += await redis.unlink(...answers);
      } while (cursor !== '0');
      return removed;
    },
    shared: true,
    async settled() {
      await Promise.all(pending);
    },
  };
}
