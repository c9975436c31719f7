import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * The job engine: work that does not fit one request, run in the background by whichever
 * process takes it. Two backends answer to this one interface with the same handlers: the
 * embedded engine (jobs in the gateway's own SQL database, run by the gateway; the default)
 * and BullMQ (jobs in Redis, run by any instance). Neither knows what a job does: a domain
 * registers a handler per kind, the engine hands each job to one of them.
 */
export interface JobEngine {
  /** `embedded` or `bullmq`, for the logs and the docs' words. */
  readonly backend: JobBackend;
  /** Registers what runs jobs of `kind`; before start(). */
  handle<P>(kind: string, handler: JobHandler<P>): void;
  /** Registers a task that runs every `everyMs`, once per tick across every process; before start(). */
  schedule(spec: ScheduleSpec): void;
  /**
   * Enqueues a job as part of `trx`, the transaction that records the work it does: where
   * jobs live in SQL (embedded) the job commits with it or not at all; BullMQ cannot join a
   * SQL transaction and adds the job once told the transaction committed. Returns what to
   * call after the commit. Enqueueing the id of a job that is still queued or running does
   * nothing (see EnqueueRequest.id).
   */
  enqueueIn(trx: Transaction<Database>, job: EnqueueRequest): Promise<() => Promise<void>>;
  /** Enqueues a job on its own (a repair, a test): idempotent as enqueueIn. */
  enqueue(job: EnqueueRequest): Promise<void>;
  /**
   * Stops the job: a queued one is dropped; a running one in this process has its signal
   * aborted (its handler decides what to keep). A job running in another process is not
   * reached: the domain tells it through the data it reads (see resolvers/reports.ts).
   */
  cancel(id: string): Promise<void>;
  /** Each schedule with its last run and outcome and its next run. */
  schedules(): Promise<ScheduleState[]>;
  /** Jobs per state, for the gatherql_jobs gauge. */
  counts(): Promise<Record<JobCountState, number>>;
  /** Starts taking jobs and running schedules; resolves once the first look for due work is done. */
  start(): Promise<void>;
  /**
   * Stops taking work, aborts every running job's signal (a drain: handlers checkpoint or give
   * their work back) and waits for them; memoised, so safe to call twice.
   */
  close(): Promise<void>;
}

export type JobBackend = 'embedded' | 'bullmq';

export type JobCountState = 'queued' | 'running' | 'delayed' | 'succeeded' | 'failed';

export interface EnqueueRequest {
  /**
   * Names the job, e.g. `city-report-42` (letters, digits, `-` and `_`): the same id is never
   * queued twice, so a request retried or a repair that enqueues again does not start the
   * work twice.
   */
  id: string;
  kind: string;
  /** JSON-serialisable. */
  payload: unknown;
}

/** One run of a job, as its handler sees it. */
export interface JobRun<P = unknown> {
  readonly id: string;
  readonly kind: string;
  readonly payload: P;
  /** 1 on the first run; one more for each run after it: a retry, a wait the handler asked for, or a run whose process died. */
  readonly attempt: number;
  /**
   * Aborted when the job is cancelled in this process or the engine closes (`reason` says
   * which: CANCELLED or DRAINING): stop at the next safe point.
   */
  readonly signal: AbortSignal;
}

/** Why a run's signal was aborted. */
export const CANCELLED = 'cancelled';
export const DRAINING = 'draining';

/**
 * What a handler answers: nothing when the job is done (or has nothing left to do), or when
 * to run it again (`retryAt`), e.g. once an upstream quota window reopens; `reason` names the
 * wait in the metrics (`gatherql_job_runs_total{outcome}`). A handler that throws is retried
 * with backoff, up to MAX_JOB_ATTEMPTS runs, then failed.
 */
export type JobOutcome = undefined | { retryAt: Date; reason: JobWaitReason };

export type JobWaitReason = 'quota' | 'drain' | 'retry';

export type JobHandler<P = unknown> = (run: JobRun<P>) => Promise<JobOutcome>;

/** A task on a schedule. */
export interface ScheduleSpec {
  /** Names it in backgroundWork.schedules and the metrics, e.g. `report-retention`. */
  name: string;
  everyMs: number;
  /** Aborted when the engine closes. Throws when the run failed: its message is the schedule's last outcome. */
  run: (signal: AbortSignal) => Promise<void>;
}

export interface ScheduleState {
  name: string;
  /** e.g. "every 24 h". */
  every: string;
  lastRunAt: Date | null;
  /** "ok", or why the last run failed. */
  lastOutcome: string | null;
  nextRunAt: Date | null;
}

/** What a job id may be made of, on every backend (BullMQ gives `:` a meaning of its own). */
export const JOB_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** Refuses an id no backend can keep as it is: a programming error, not bad input. */
export function checkJobId(id: string): void {
  if (!JOB_ID.test(id)) throw new Error(`a job id is 1-100 letters, digits, '-' or '_' (got ${JSON.stringify(id)})`);
}

/** Runs of a job at most, failures included: then it is failed for good. */
export const MAX_JOB_ATTEMPTS = 8;

/** Backoff before run n+1 of a job whose run n threw: doubling from 1 s, at most 5 minutes. */
export function retryDelayMs(attempt: number): number {
  return Math.min(300_000, 1000 * 2 ** (attempt - 1));
}

/** What an engine tells the metrics and the logs of its work. */
export interface JobObserver {
  /** A run ended: `outcome` is succeeded, failed, retried, waiting (quota), cancelled or drained. */
  onRun?: (kind: string, outcome: JobRunOutcome, durationMs: number) => void;
  /** A handler threw, or the engine itself could not reach its store. */
  onError?: (error: unknown, context: Record<string, unknown>) => void;
}

export type JobRunOutcome = 'succeeded' | 'failed' | 'retried' | 'waiting' | 'cancelled' | 'drained';

/** Where the engines keep what they must share with the domain: the gateway's database. */
export interface JobStore {
  /** Statements of the engine's own (claims, leases, schedules): counted as background work. */
  db: Kysely<Database>;
}

/** "every 24 h", "every 15 min", "every 30 s": a schedule in words for backgroundWork.schedules. */
export function everyInWords(ms: number): string {
  if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `every ${ms / 60_000} min`;
  return `every ${Math.round(ms / 1000)} s`;
}
