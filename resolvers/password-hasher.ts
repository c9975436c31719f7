import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { RequestError } from './errors.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * scrypt runs in libuv's thread pool (4 threads by default), which DNS look-ups of the
 * upstream hosts share, and each hash keeps a core busy for tens of milliseconds. At most
 * one hash per core but one runs at once (and at most 3, below the pool's size), so a storm
 * of guesses leaves the event loop a core and the pool a thread; at most `queue` more wait,
 * and past that a request is refused at once (RATE_LIMITED) rather than made to wait seconds
 * behind the storm.
 */
export const HASHING_LIMITS = { concurrency: Math.min(3, Math.max(1, availableParallelism() - 1)), queue: 16 } as const;

export interface HashingStats {
  running: number;
  queued: number;
  /** The most that ever ran at once. */
  peakRunning: number;
  /** The most that ever waited at once. */
  peakQueued: number;
  done: number;
  refused: number;
}

/** Password hashing under a bound; process-wide, made by the gateway. */
export interface PasswordHasher {
  /** Hashes a new password, or refuses at once (RATE_LIMITED) when the queue is full. */
  hash(password: string): Promise<string>;
  /** Checks a password against a stored hash, or refuses at once (RATE_LIMITED) when the queue is full. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Hashes for an admin's batch or the seed: waits for its turn however long the queue. */
  hashInTurn(password: string): Promise<string>;
  stats(): HashingStats;
}

export function createPasswordHasher(limits: { concurrency: number; queue: number } = HASHING_LIMITS): PasswordHasher {
  const limit = pLimit(limits.concurrency);
  const stats = { running: 0, peakRunning: 0, peakQueued: 0, done: 0, refused: 0 };
  const run = <T>(work: () => Promise<T>, mayRefuse: boolean): Promise<T> => {
    if (mayRefuse && limit.activeCount >= limits.concurrency && limit.pendingCount >= limits.queue) {
      stats.refused += 1;
      return Promise.reject(
        new RequestError('RATE_LIMITED', 'The server is busy checking passwords; retry in a second', {
          retryAfterSeconds: 1,
          http: { status: 429, headers: { 'retry-after': '1' } },
        }),
      );
    }
    const admitted = limit(async () => {
      stats.running += 1;
      stats.peakRunning = Math.max(stats.peakRunning, stats.running);
      try {
        return await work();
      } finally {
        stats.running -= 1;
        stats.done += 1;
      }
    });
    stats.peakQueued = Math.max(stats.peakQueued, limit.pendingCount);
    return admitted;
  };
  return {
    hash: (password) => run(() => hashPassword(password), true),
    verify: (password, stored) => run(() => verifyPassword(password, stored), true),
    hashInTurn: (password) => run(() => hashPassword(password), false),
    stats: () => ({ ...stats, queued: limit.pendingCount }),
  };
}
