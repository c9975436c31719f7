import type { Redis } from 'ioredis';
import { createMemoryQuotaStore, type QuotaStore, type WindowCounter } from './quota.js';

// Checks every counter, then adds to all of them: one script, so that two instances taking at
// the same moment cannot both pass a limit that only one of them fits under.
const TAKE = `
local weight = tonumber(ARGV[1])
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used + weight > tonumber(ARGV[1 + i]) then return i - 1 end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], weight)
  redis.call('PEXPIRE', KEYS[i], ARGV[1 + #KEYS + i])
end
return -1`;

// Raises a counter to its limit (never lowers it).
const FILL = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0`;

/**
 * Quota counts in Redis, shared by every instance on it. While Redis fails, this instance
 * counts in its own memory instead (`onError` hears why): it keeps calling the upstream
 * within a budget of its own rather than stopping, and never waits on a dead Redis.
 */
export function createRedisQuotaStore(redis: Redis, onError: (error: Error) => void = () => {}): QuotaStore {
  const fallback = createMemoryQuotaStore();
  const failed = (error: unknown) => onError(error instanceof Error ? error : new Error(String(error)));
  return {
    async take(counters, weight) {
      try {
        const keys = counters.map((counter) => counter.key);
        const limits = counters.map((counter) => String(counter.limit));
        const ttls = counters.map((counter) => String(Math.ceil(counter.ttlMs)));
        return Number(await redis.eval(TAKE, keys.length, ...keys, String(weight), ...limits, ...ttls));
      } catch (error) {
        failed(error);
        return fallback.take(counters, weight);
      }
    },
    async fill(counter: WindowCounter) {
      try {
        await redis.eval(FILL, 1, counter.key, String(counter.limit), String(Math.ceil(counter.ttlMs)));
      } catch (error) {
        failed(error);
      }
      await fallback.fill(counter);
    },
    async used(counters) {
      try {
        const values = await redis.mget(...counters.map((counter) => counter.key));
        return values.map((value) => Number(value ?? 0));
      } catch (error) {
        failed(error);
        return fallback.used(counters);
      }
    },
  };
}
