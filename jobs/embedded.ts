import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/database.js';
import {
  cancelQueuedJob,
  claimJob,
  countJobsByState,
  endJobRun,
  extendLease,
  insertJob,
  type JobRecord,
  requeueLeftRunning,
  selectNextDue,
} from '../db/jobs.js';
import { CANCELLED, checkJobId, DRAINING, type JobEngine, type JobHandler, type JobObserver, retryDelayMs } from './engine.js';
import { createEmbeddedScheduler } from './embedded-scheduler.js';
import { type RunEnd, runJob } from './run-job.js';
import { createScheduleBook } from './schedule-book.js';
import { createTimer } from './timer.js';

export interface EmbeddedEngineOptions {
  /** The gateway's database, through a handle whose statements count as background work. */
  db: Kysely<Database>;
  dialect: DialectName;
  /** Jobs this process runs at once. Default EMBEDDED_DEFAULTS.concurrency. */
  concurrency?: number;
  /** How long a claim holds without renewal: a job whose process died is taken again after it. */
  leaseMs?: number;
  /**
   * How often to look for work that another process queued or left behind; null: never. One
   * process alone on its database hears of every job it queues itself, and looks at start and
   * when a lease it saw runs out: it needs no polling, and sends no statement while idle.
   * Several processes on one database poll (EMBEDDED_DEFAULTS.sharedPollMs).
   */
  pollMs?: number | null;
  /**
   * No other process uses the database (SQLite with one worker): jobs found running at start
   * were left by this process's previous life, and are taken up at once instead of after
   * their lease.
   */
  alone?: boolean;
  observer?: JobObserver;
  /** Wall clock; tests pass their own. */
  now?: () => number;
}

export const EMBEDDED_DEFAULTS = {
  concurrency: 2,
  leaseMs: 30_000,
  sharedPollMs: 5_000,
};

/** A failed claim (the database is away) is tried again after this. */
const CLAIM_RETRY_MS = 1_000;

/**
 * The default job engine: jobs are rows of the gateway's own SQL database (SQLite or
 * PostgreSQL) and the gateway runs them, so background work needs no other service. A job is
 * claimed by one process at a time (claimJob), for a lease the process renews while the job
 * runs; when a process dies its leases run out and its jobs are claimed again, by another
 * process or by itself after a restart, and go on from their last checkpoint.
 */
export function createEmbeddedEngine(options: EmbeddedEngineOptions): JobEngine {
  const { db, dialect, observer = {} } = options;
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? EMBEDDED_DEFAULTS.concurrency;
  const leaseMs = options.leaseMs ?? EMBEDDED_DEFAULTS.leaseMs;
  const pollMs = options.pollMs ?? null;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const handlers = new Map<string, JobHandler>();
  const running = new Map<string, { abort: AbortController; settled: Promise<void> }>();
  const book = createScheduleBook(db, observer, now);
  const scheduler = createEmbeddedScheduler(db, book, observer, now, pollMs);
  const wakeTimer = createTimer();
  let started = false;
  let closing: Promise<void> | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;

  const kinds = () => [...handlers.keys()];

  /** Claims and starts due jobs until the slots are full or none is due, then sleeps until the next one. */
  const pump = async (): Promise<void> => {
    while (!closing && running.size < concurrency) {
      const at = now();
      const claim = { owner, now: new Date(at), leaseUntil: new Date(at + leaseMs), kinds: kinds(), running: [...running.keys()] };
      const job = await db.transaction().execute((trx) => claimJob(trx, dialect, claim));
      if (!job) break;
      execute(job);
    }
    if (closing || running.size >= concurrency) return;
    const due = await selectNextDue(db, kinds(), [...running.keys()]);
    const untilDue = due === null ? Number.POSITIVE_INFINITY : due.getTime() - now();
    wakeTimer.set(Math.min(untilDue, pollMs ?? Number.POSITIVE_INFINITY), wake);
  };

  /** Looks for work now; a call made while a look is under way runs one more after it. */
  function wake() {
    if (!started || closing) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((error: unknown) => {
        observer.onError?.(error, { engine: 'embedded', step: 'claim' });
        if (!closing) wakeTimer.set(CLAIM_RETRY_MS, wake);
      })
      .finally(() => {
        pumping = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  }

  /** Writes how a run ended; a write that fails leaves the lease to run out, and the job is claimed again. */
  const endRun = (job: JobRecord, result: RunEnd) => {
    if (result.end === 'done') return endJobRun(db, job.id, owner, { state: result.cancelled ? 'cancelled' : 'succeeded' });
    if (result.end === 'again') return endJobRun(db, job.id, owner, { state: 'queued', runAt: result.runAt });
    if (result.final) return endJobRun(db, job.id, owner, { state: 'failed' }, result.error);
    return endJobRun(db, job.id, owner, { state: 'queued', runAt: new Date(now() + retryDelayMs(job.attempts)) }, result.error);
  };

  const execute = (job: JobRecord) => {
    const abort = new AbortController();
    // Renews the claim while the job runs. A claim lost (this process stalled past its lease
    // and another took the job) stops this run: the other one goes on from the checkpoint.
    const renew = setInterval(() => {
      db.transaction()
        .execute((trx) => extendLease(trx, job.id, owner, new Date(now() + leaseMs)))
        .then((held) => {
          if (!held) abort.abort('lost');
        })
        .catch((error: unknown) => observer.onError?.(error, { engine: 'embedded', step: 'lease', job: job.id }));
    }, leaseMs / 3);
    renew.unref();
    const run = async () => {
      try {
        const handler = handlers.get(job.kind)!;
        const payload = payloadOf(job);
        const result =
          payload instanceof Error
            ? ({ end: 'error', error: payload.message, final: true } as const)
            : await runJob({ id: job.id, kind: job.kind, payload, attempt: job.attempts, signal: abort.signal }, handler, observer);
        if (abort.signal.reason !== 'lost') await endRun(job, result);
      } catch (error) {
        observer.onError?.(error, { engine: 'embedded', step: 'end', job: job.id });
      } finally {
        clearInterval(renew);
        running.delete(job.id);
        wake();
      }
    };
    // In the map before the run begins: a run that ends before its first wait takes itself out of it.
    const entry = { abort, settled: Promise.resolve() };
    running.set(job.id, entry);
    entry.settled = run();
  };

  const insert = (target: Kysely<Database>, job: { id: string; kind: string; payload: unknown }) => {
    checkJobId(job.id);
    return insertJob(target, { id: job.id, kind: job.kind, payload: JSON.stringify(job.payload), runAt: new Date(now()) });
  };

  return {
    backend: 'embedded',
    handle(kind, handler) {
      handlers.set(kind, handler as JobHandler);
    },
    schedule(spec) {
      book.add(spec);
    },
    async enqueueIn(trx, job) {
      await insert(trx, job);
      return async () => wake();
    },
    async enqueue(job) {
      await insert(db, job);
      wake();
    },
    async cancel(id) {
      running.get(id)?.abort.abort(CANCELLED);
      await cancelQueuedJob(db, id);
    },
    schedules: () => book.states(),
    async counts() {
      const counts = await countJobsByState(db);
      return { queued: counts.queued ?? 0, running: counts.running ?? 0, delayed: 0, succeeded: counts.succeeded ?? 0, failed: counts.failed ?? 0 };
    },
    async start() {
      if (started) return;
      started = true;
      if (options.alone) await requeueLeftRunning(db, new Date(now()));
      await scheduler.start();
      wake();
      await pumping;
    },
    close() {
      closing ??= (async () => {
        wakeTimer.clear();
        await scheduler.close();
        // A claim under way ends first: the job it takes, if any, is then told to stop with the rest.
        await pumping?.catch(() => {});
        for (const { abort } of running.values()) abort.abort(DRAINING);
        await Promise.allSettled([...running.values()].map((run) => run.settled));
      })();
      return closing;
    },
  };
}

/** A job's payload, or why it cannot be read (a row written by hand, or by a build that wrote it otherwise): no run could do better. */
function payloadOf(job: JobRecord): unknown {
  try {
    return JSON.parse(job.payload);
  } catch (error) {
    return new Error(`its payload is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
