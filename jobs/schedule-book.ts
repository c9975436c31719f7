import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { recordScheduleOutcome, selectSchedules, upsertSchedule } from '../db/schedules.js';
import { everyInWords, type JobObserver, type ScheduleSpec, type ScheduleState } from './engine.js';

/**
 * The schedules a process knows, and their book in the gateway's database (db/schedules.ts):
 * the same with either backend, which decides only who runs each tick and when.
 */
export function createScheduleBook(db: Kysely<Database>, observer: JobObserver, now: () => number) {
  const specs = new Map<string, ScheduleSpec>();
  return {
    specs,
    add(spec: ScheduleSpec) {
      if (specs.has(spec.name)) throw new Error(`schedule ${spec.name} is registered twice`);
      specs.set(spec.name, spec);
    },
    /** Writes each schedule's interval into the book. */
    async register() {
      for (const spec of specs.values()) await upsertSchedule(db, spec.name, spec.everyMs, new Date(now()));
    },
    /** Runs one tick of a schedule whose tick this process took, and writes how it went. */
    async run(name: string, signal: AbortSignal, ranAt?: Date): Promise<void> {
      const spec = specs.get(name);
      if (!spec) return;
      let outcome = 'ok';
      try {
        await spec.run(signal);
      } catch (error) {
        outcome = error instanceof Error ? error.message : String(error);
        observer.onError?.(error, { schedule: name });
      }
      await recordScheduleOutcome(db, name, outcome, ranAt);
    },
    /** Every schedule as backgroundWork shows it; `nextRunAt` overrides the book's next run (BullMQ keeps its own). */
    async states(nextRunAt?: (name: string) => Promise<Date | null>): Promise<ScheduleState[]> {
      const records = await selectSchedules(db, [...specs.keys()]);
      return Promise.all(
        records.map(async (record) => ({
          name: record.name,
          every: everyInWords(record.everyMs),
          lastRunAt: record.lastRunAt,
          lastOutcome: record.lastOutcome,
          nextRunAt: nextRunAt ? await nextRunAt(record.name) : record.nextRunAt,
        })),
      );
    },
  };
}

export type ScheduleBook = ReturnType<typeof createScheduleBook>;
