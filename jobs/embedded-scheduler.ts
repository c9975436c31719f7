import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { claimScheduleTick, selectSchedules } from '../db/schedules.js';
import { DRAINING, type JobObserver } from './engine.js';
import type { ScheduleBook } from './schedule-book.js';
import { createTimer } from './timer.js';

/**
 * Runs the embedded engine's schedules: sleeps until the earliest next run in the book, takes
 * each due tick (claimScheduleTick: one process of several takes it) and runs it. A process
 * that was down when a tick was due runs it once when it is back, not once per missed tick.
 */
export function createEmbeddedScheduler(db: Kysely<Database>, book: ScheduleBook, observer: JobObserver, now: () => number, pollMs: number | null) {
  const timer = createTimer();
  const abort = new AbortController();
  let ticking: Promise<void> | undefined;

  const tick = async () => {
    const names = [...book.specs.keys()];
    for (const record of await selectSchedules(db, names)) {
      if (abort.signal.aborted) return;
      if (record.nextRunAt.getTime() <= now() && (await claimScheduleTick(db, record.name, new Date(now())))) await book.run(record.name, abort.signal);
    }
    if (!abort.signal.aborted) await arm(names);
  };

  /** Sleeps until the earliest next run, or the poll (a clock that jumps is seen then). */
  const arm = async (names: string[]) => {
    const next = Math.min(...(await selectSchedules(db, names)).map((record) => record.nextRunAt.getTime()));
    timer.set(Math.min(next - now(), pollMs ?? Number.POSITIVE_INFINITY), fire);
  };

  function fire() {
    ticking = tick()
      .catch((error: unknown) => {
        observer.onError?.(error, { engine: 'embedded', step: 'schedule' });
        // The database is away: try again in a minute rather than at the next tick.
        if (!abort.signal.aborted) timer.set(60_000, fire);
      })
      .finally(() => {
        ticking = undefined;
      });
  }

  return {
    async start() {
      if (book.specs.size === 0) return;
      await book.register();
      await arm([...book.specs.keys()]);
    },
    async close() {
      timer.clear();
      abort.abort(DRAINING);
      await ticking;
    },
  };
}
