import { Redis } from 'ioredis';
import { inject, onTestFinished } from 'vitest';

/**
 * The database number each test file uses on the run's shared Redis (0-31, see test/services/redis.ts). One list, so
 * that two files running at the same time never share keys (or flush each other's).
 */
const DATABASES = {
  'rate-limit': 1,
  'probes-and-metrics': 2,
  'shared-cache-tier': 3,
  'redis-client': 4,
  quota: 5,
  'refresh-ahead': 6,
  'response-store': 7,
  'scale-out': 8,
  workers: 9,
  'country-dataset': 10,
  'job-engine': 11,
  'report-processes': 12,
  'event-bus': 13,
  'city-reports': 14,
  'live-scale-out': 15,
  'cache-purge': 16,
  'cache-control-scale-out': 17,
  'login-throttle': 18,
  budget: 19,
  'redis-response-store': 20,
  'job-schedules': 21,
  'shared-load': 22,
  'upstream-cache': 23,
  'response-store-choice': 24,
  'shared-tier': 25,
} as const;

/** The run's Redis server, or null when the run has none (the suite then skips). */
export const sharedRedis = inject('redisUrl');

/** The URL of the database that `file` owns on the run's Redis. */
export function redisDatabase(file: keyof typeof DATABASES): string {
  if (!sharedRedis) throw new Error('this run has no Redis server (see test/global-setup.ts)');
  return `${sharedRedis}/${DATABASES[file]}`;
}

/** Empties a Redis database before a test, so that nothing an earlier test or run left there counts. */
export async function emptyRedis(url: string): Promise<void> {
  const admin = new Redis(url);
  try {
    await admin.flushdb();
  } finally {
    admin.disconnect();
  }
}

/**
 * The places a store under test keeps its counts, for `describe.each`: this process's memory,
 * and (when the run has a Redis server) `file`'s database, emptied, with a client that is
 * ready before the test uses it (the limiters take a client that is not ready for a failing
 * one) and disconnected when the test ends. `make` builds the store on either: no Redis, or a client.
 */
export function memoryAndRedis<T>(file: keyof typeof DATABASES, make: (redis: Redis | null) => T): [where: string, open: () => Promise<T>][] {
  const places: [string, () => Promise<T>][] = [['memory', async () => make(null)]];
  if (sharedRedis) {
    places.push([
      'Redis',
      async () => {
        const url = redisDatabase(file);
        await emptyRedis(url);
        const redis = new Redis(url);
        onTestFinished(() => redis.disconnect());
        await redis.ping();
        return make(redis);
      },
    ]);
  }
  return places;
}

/**
 * A client of the test's Redis database that has not connected yet: to a store, one that
 * fails, until the test calls `connect()` (a Redis coming back). Disconnected when the test ends.
 */
export function notYetConnectedRedis(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false });
  onTestFinished(() => redis.disconnect());
  return redis;
}

/** A client of a Redis that is not there: every command fails at once, as it does in the gateway's client while Redis is down. */
export function deadRedis(): Redis {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Its refused connection is expected; the gateway's client listens to its errors too (see redis.ts).
  redis.on('error', () => {});
  onTestFinished(() => redis.disconnect());
  return redis;
}
