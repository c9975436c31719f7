import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { CANCELLED, checkJobId, DRAINING, type JobEngine, type JobHandler, type JobObserver, MAX_JOB_ATTEMPTS } from './engine.js';
import { runJob } from './run-job.js';
import { createScheduleBook } from './schedule-book.js';

export interface BullmqEngineOptions {
  /** JOBS_REDIS_URL (REDIS_URL unless set). */
  url: string;
  /** The gateway's database: the schedules' book lives there, as with the embedded engine. */
  db: Kysely<Database>;
  /** Keys in Redis start with it; instances that share work share it. Default `gatherql`. */
  prefix?: string;
  /** Jobs this process runs at once. */
  concurrency?: number;
  /**
   * BullMQ's lock on a running job, renewed while it runs: a job whose instance was killed is
   * stalled after this long, and another instance takes it over.
   */
  lockMs?: number;
  /** How often each worker looks for stalled jobs. Default half the lock. */
  stalledIntervalMs?: number;
  observer?: JobObserver;
  /** Told once at start when Redis may evict the queues' keys (see checkEvictionPolicy). */
  onWarning?: (message: string) => void;
  now?: () => number;
}

/** The queue every instance shares. */
const QUEUE = 'jobs';
/** The job a schedule's tick produces; its data names the schedule. */
const SCHEDULE_TICK = 'schedule-tick';
/** How long an enqueue waits for Redis before giving up (the caller's repair enqueues again). */
const ENQUEUE_TIMEOUT_MS = 2_000;
/** How long start-up waits for Redis before serving without it for now. */
const START_WAIT_MS = 2_000;
/** How long each step of closing may wait for Redis. */
const CLOSE_WAIT_MS = 5_000;

/**
 * The job engine on BullMQ, for several instances: jobs live in Redis, any instance takes
 * the next one, a job whose instance was killed is taken over by another once its lock runs
 * out (BullMQ's stalled-job check), and a schedule's tick is produced once for all instances
 * (a Job Scheduler). The work's own state stays in SQL, as with the embedded engine: BullMQ
 * only hands out "run job X".
 *
 * Its connections are its own (BullMQ blocks one of them waiting for jobs): never the
 * gateway's shared Redis client, which is built to fail fast rather than to wait.
 */
export function createBullmqEngine(options: BullmqEngineOptions): JobEngine {
  const { observer = {} } = options;
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? 'gatherql';
  const lockMs = options.lockMs ?? 30_000;
  // BullMQ requires connections that retry commands for ever (a worker waits through a Redis outage).
  const connection = new Redis(options.url, { maxRetriesPerRequest: null });
  connection.on('error', (error) => observer.onError?.(error, { engine: 'bullmq', step: 'connection' }));
  const queue = new Queue(QUEUE, { connection, prefix });
  queue.on('error', (error) => observer.onError?.(error, { engine: 'bullmq', step: 'queue' }));
  const handlers = new Map<string, JobHandler>();
  const book = createScheduleBook(options.db, observer, now);
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;
  let draining = false;

  // Runs under way in this process, so that close() waits for them to give their work back.
  const running = new Set<Promise<unknown>>();
  const processJob = (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<void> => {
    const run = runOne(job, token, signal);
    running.add(run);
    return run.finally(() => running.delete(run));
  };
  const runOne = async (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<void> => {
    if (draining) {
      // Taken while this engine closes: the worker's fetch under way when close() began wakes
      // for the very job a run just gave back. Given back again unrun, due now, for another instance.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const abort = signal ?? new AbortController().signal;
    if (job.name === SCHEDULE_TICK) {
      await book.run(String(job.data.schedule), abort, new Date(now()));
      return;
    }
    const handler = handlers.get(job.name);
    if (!handler) throw new Error(`no handler for jobs of kind ${job.name}`);
    const result = await runJob({ id: ourId(job.id!), kind: job.name, payload: job.data, attempt: job.attemptsStarted, signal: abort }, handler, observer);
    if (result.end === 'again') {
      // Back to the delayed set until then, without counting as a failure.
      await job.moveToDelayed(result.runAt.getTime(), token);
      throw new DelayedError();
    }
    if (result.end === 'error') throw new Error(result.error);
  };

  /** Adds a job unless one with its id is queued or running; a finished one of that id is replaced. */
  const addOnce = async (job: { id: string; kind: string; payload: unknown }) => {
    checkJobId(job.id);
    const existing = await queue.getJob(bullmqId(job.id));
    if (existing && ((await existing.isCompleted()) || (await existing.isFailed()))) await existing.remove();
    await queue.add(job.kind, job.payload, {
      jobId: bullmqId(job.id),
      attempts: MAX_JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  };
  const add = (job: { id: string; kind: string; payload: unknown }) => withTimeout(addOnce(job), ENQUEUE_TIMEOUT_MS);

  return {
    backend: 'bullmq',
    handle(kind, handler) {
      handlers.set(kind, handler as JobHandler);
    },
    schedule(spec) {
      book.add(spec);
    },
    async enqueueIn(_trx, job) {
      // BullMQ cannot join the SQL transaction: the job is added once it has committed.
      return () => add(job);
    },
    enqueue: add,
    async cancel(id) {
      worker?.cancelJob(bullmqId(id), CANCELLED);
      // Bounded as an enqueue is: with Redis away its commands would wait for it to come back.
      await withTimeout(
        (async () => {
          const job = await queue.getJob(bullmqId(id));
          if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove();
        })(),
        ENQUEUE_TIMEOUT_MS,
      );
    },
    async schedules() {
      return book.states(async (name) => {
        const scheduler = await queue.getJobScheduler(name);
        return scheduler?.next ? new Date(scheduler.next) : null;
      });
    },
    async counts() {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
      return {
        queued: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        running: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        succeeded: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      };
    },
    async start() {
      if (worker) return;
      await book.register();
      worker = new Worker(QUEUE, processJob, {
        connection,
        prefix,
        concurrency: options.concurrency ?? 2,
        lockDuration: lockMs,
        stalledInterval: options.stalledIntervalMs ?? Math.max(1_000, lockMs / 2),
        // A job whose instance dies is taken over; one that keeps stalling fails in the end.
        maxStalledCount: MAX_JOB_ATTEMPTS,
      });
      worker.on('error', (error) => observer.onError?.(error, { engine: 'bullmq', step: 'worker' }));
      // With Redis away at start the gateway serves all the same: the worker connects when
      // it can, and the schedules and the eviction check are done on the first connection.
      const ready = withTimeout(worker.waitUntilReady(), START_WAIT_MS).then(
        () => true,
        () => false,
      );
      const prepare = async () => {
        const warning = await checkEvictionPolicy(connection);
        if (warning) options.onWarning?.(warning);
        for (const spec of book.specs.values()) {
          await queue.upsertJobScheduler(spec.name, { every: spec.everyMs }, { name: SCHEDULE_TICK, data: { schedule: spec.name } });
        }
      };
      if (await ready) await prepare();
      // Again on every reconnection: a Redis that came back empty (restarted without
      // persistence) has lost the schedulers, and the repair schedule with them.
      connection.on('ready', () => void prepare().catch((error: unknown) => observer.onError?.(error, { engine: 'bullmq', step: 'schedule' })));
    },
    close() {
      closing ??= (async () => {
        // Running jobs hear DRAINING and give their work back (see JobRun.signal); none is begun from now on.
        draining = true;
        worker?.cancelAllJobs(DRAINING);
        await Promise.allSettled(running);
        // A worker closes gracefully only through Redis; without it, it is closed by force
        // (its jobs' locks run out, and another instance takes them over).
        if (connection.status !== 'ready' || !(await settlesWithin(worker?.close(), CLOSE_WAIT_MS))) {
          connection.disconnect();
          await settlesWithin(worker?.close(true), CLOSE_WAIT_MS);
        }
        await settlesWithin(queue.close(), CLOSE_WAIT_MS);
        connection.disconnect();
      })();
      return closing;
    },
  };
}

/** Our job ids in BullMQ: prefixed, so that none can be the name of one of the queue's own keys (`meta`, `marker`, …). */
const bullmqId = (id: string) => `job-${id}`;
const ourId = (id: string) => id.replace(/^job-/, '');

/**
 * BullMQ keeps every queued job as Redis keys: a Redis that evicts keys under memory pressure
 * would lose jobs without a word. The policy must be `noeviction`; this reads it, and says
 * what to do in one line when it is not (or when it cannot be read, as on some managed Redis).
 */
export async function checkEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy === 'noeviction') return null;
    return `JOBS_REDIS_URL: Redis evicts keys (maxmemory-policy ${policy}), so queued jobs can be lost; set maxmemory-policy noeviction, or give jobs a Redis of their own (docs/deploy.md)`;
  } catch (error) {
    return `JOBS_REDIS_URL: cannot read Redis's maxmemory-policy (${(error as Error).message}); make sure it is noeviction, or queued jobs can be lost (docs/deploy.md)`;
  }
}

/** True when `promise` settled within `ms` (undefined counts as settled at once). */
async function settlesWithin(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!promise) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
