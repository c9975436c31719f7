import { performance } from 'node:perf_hooks';
import { CANCELLED, type JobHandler, type JobObserver, type JobRun, MAX_JOB_ATTEMPTS } from './engine.js';

/** How a run ended, as a backend must record it. */
export type RunEnd =
  /** Nothing left to do; `cancelled` when it stopped because it was cancelled. */
  | { end: 'done'; cancelled: boolean }
  /** Run it again at `runAt` (a wait the handler asked for). */
  | { end: 'again'; runAt: Date }
  /** The handler threw: retried with backoff, or failed for good after MAX_JOB_ATTEMPTS runs (`final`). */
  | { end: 'error'; error: string; final: boolean };

/** Runs one job's handler the same way on either backend, and tells the observer how it went. */
export async function runJob(run: JobRun, handler: JobHandler, observer: JobObserver): Promise<RunEnd> {
  const started = performance.now();
  const took = () => performance.now() - started;
  try {
    const outcome = await handler(run);
    if (outcome) {
      observer.onRun?.(run.kind, outcome.reason === 'quota' ? 'waiting' : outcome.reason === 'drain' ? 'drained' : 'retried', took());
      return { end: 'again', runAt: outcome.retryAt };
    }
    const cancelled = run.signal.aborted && run.signal.reason === CANCELLED;
    observer.onRun?.(run.kind, cancelled ? 'cancelled' : 'succeeded', took());
    return { end: 'done', cancelled };
  } catch (error) {
    const final = run.attempt >= MAX_JOB_ATTEMPTS;
    observer.onError?.(error, { job: run.id, kind: run.kind, attempt: run.attempt, final });
    observer.onRun?.(run.kind, final ? 'failed' : 'retried', took());
    return { end: 'error', error: error instanceof Error ? error.message : String(error), final };
  }
}
