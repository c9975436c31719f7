import { Redis } from 'ioredis';
import { inject } from 'vitest';

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
