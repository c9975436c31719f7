import type { DatabaseHandle } from '../db/connect.js';
import { createEmbeddedEngine, EMBEDDED_DEFAULTS } from './embedded.js';
import type { JobEngine, JobObserver } from './engine.js';

/** Settings tests use to make takeovers quick; production keeps the defaults. */
export interface JobEngineTuning {
  /** Embedded: a claim's lease. */
  leaseMs: number;
  /** Embedded: how often to look for work other processes left. */
  pollMs: number | null;
  /** BullMQ: the lock on a running job, and how often stalled jobs are looked for. */
  lockMs: number;
  stalledIntervalMs: number;
  /** BullMQ: the key prefix (tests give each gateway set its own). */
  prefix: string;
  concurrency: number;
}

export interface JobEngineChoice {
  /** JOBS_REDIS_URL (or REDIS_URL): BullMQ there; null: the embedded engine. */
  redisUrl: string | null;
  database: DatabaseHandle;
  /** WORKERS: more than one process on the database means polling for work others left. */
  workers: number;
  observer: JobObserver;
  onWarning: (message: string) => void;
  tuning?: Partial<JobEngineTuning>;
  /** Wall clock (the sources' clock: a report waits for a quota window on it). */
  now?: () => number;
}

/**
 * The job engine the configuration asks for: BullMQ when a Redis is named for jobs (several
 * instances share the work), else the embedded engine on the gateway's own database. The
 * embedded engine polls only when other processes share the database (PostgreSQL, which
 * other instances may use, or several workers on one SQLite file).
 */
export async function createJobEngine(choice: JobEngineChoice): Promise<JobEngine> {
  const { database, observer, tuning = {} } = choice;
  if (choice.redisUrl) {
    // BullMQ and its Redis client are loaded only when asked for: the embedded default never holds them.
    const { createBullmqEngine } = await import('./bullmq.js');
    return createBullmqEngine({
      url: choice.redisUrl,
      db: database.background,
      observer,
      onWarning: choice.onWarning,
      ...(choice.now && { now: choice.now }),
      ...(tuning.prefix !== undefined && { prefix: tuning.prefix }),
      ...(tuning.lockMs !== undefined && { lockMs: tuning.lockMs }),
      ...(tuning.stalledIntervalMs !== undefined && { stalledIntervalMs: tuning.stalledIntervalMs }),
      ...(tuning.concurrency !== undefined && { concurrency: tuning.concurrency }),
    });
  }
  const shared = database.dialect === 'postgres' || choice.workers > 1;
  return createEmbeddedEngine({
    db: database.background,
    dialect: database.dialect,
    observer,
    ...(choice.now && { now: choice.now }),
    pollMs: tuning.pollMs !== undefined ? tuning.pollMs : shared ? EMBEDDED_DEFAULTS.sharedPollMs : null,
    alone: !shared,
    ...(tuning.leaseMs !== undefined && { leaseMs: tuning.leaseMs }),
    ...(tuning.concurrency !== undefined && { concurrency: tuning.concurrency }),
  });
}
