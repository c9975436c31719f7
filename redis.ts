import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type { Redis } from 'ioredis';

export interface RedisOptions {
  /** How long start-up waits for the first connection before serving without Redis. Default 2000 ms. */
  connectWaitMs?: number;
  /** A command that gets no answer within this fails (and its caller falls back). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** The "Redis unreachable" warning is logged at most once per this interval. Default 30 s. */
  warnIntervalMs?: number;
}

/**
 * Opens the process-wide Redis client that REDIS_URL names. Every user of it (rate limits,
 * the shared cache tier) must treat Redis as optional: commands fail fast while it is down
 * (no offline queue, a command timeout) instead of piling up, and the client reconnects by
 * itself, forever, with a capped backoff. Resolves once connected, or after `connectWaitMs`
 * or the first connection error, so a gateway starts even while Redis is away.
 */
export async function openRedis(url: string, logger: Logger, options: RedisOptions = {}): Promise<Redis> {
  const warnIntervalMs = options.warnIntervalMs ?? 30_000;
  // Loaded only with a Redis to use: a gateway without one never holds the client in memory.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });

  let lastWarning = 0;
  let lost = false;
  // Without an 'error' listener ioredis would crash the process on the first refused connection.
  redis.on('error', (error: Error) => {
    lost = true;
    const now = Date.now();
    if (now - lastWarning < warnIntervalMs) return;
    lastWarning = now;
    // The message only: the URL may carry a password, and ioredis puts none in its messages.
    logger.warn({ error: error.message }, 'Redis is unreachable; reconnecting, and serving without it meanwhile');
  });
  redis.on('ready', () => {
    if (lost) logger.info('Redis connection restored');
    lost = false;
  });

  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, options.connectWaitMs ?? 2000);
    redis.once('ready', finish);
    redis.once('error', finish);
    function finish() {
      clearTimeout(timer);
      redis.off('ready', finish);
      redis.off('error', finish);
      resolve();
    }
  });
  return redis;
}

/** Closes the client at once (nothing it holds needs flushing) and waits until it has ended. Safe to call twice. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  // Between reconnection attempts there is no socket whose closing would end the client.
  const ended = redis.status === 'reconnecting' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('end', () => resolve()));
  redis.disconnect(false);
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
}
