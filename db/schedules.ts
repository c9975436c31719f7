import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { timestamp, toDate } from './records.js';

// The book of scheduled tasks, in the gateway's database with either job engine: what ran
// when, and how it went, for backgroundWork.schedules.

export interface ScheduleRecord {
  name: string;
  everyMs: number;
  nextRunAt: Date;
  lastRunAt: Date | null;
  lastOutcome: string | null;
}

/** Writes a schedule's interval; a new schedule's first tick is one interval from now. */
export async function upsertSchedule(db: Kysely<Database>, name: string, everyMs: number, now: Date): Promise<void> {
  await db
    .insertInto('schedules')
    .values({ name, every_ms: everyMs, next_run_at: timestamp(new Date(now.getTime() + everyMs)) })
    .onConflict((conflict) => conflict.column('name').doUpdateSet({ every_ms: everyMs }))
    .execute();
}

/**
 * Takes the schedule's due tick: moves next_run_at one interval past `now` if it was due. One
 * UPDATE, so that of several processes one takes each tick; true when this one did.
 */
export async function claimScheduleTick(db: Kysely<Database>, name: string, now: Date): Promise<boolean> {
  const schedule = await db.selectFrom('schedules').select(['every_ms', 'next_run_at']).where('name', '=', name).executeTakeFirst();
  if (!schedule || toDate(schedule.next_run_at).getTime() > now.getTime()) return false;
  const result = await db
    .updateTable('schedules')
    .set({ next_run_at: timestamp(new Date(now.getTime() + schedule.every_ms)), last_run_at: timestamp(now) })
    .where('name', '=', name)
    .where('next_run_at', '=', timestamp(toDate(schedule.next_run_at)))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records how a run ended, and when it ran when the engine ran it on its own clock (BullMQ). */
export async function recordScheduleOutcome(db: Kysely<Database>, name: string, outcome: string, ranAt?: Date): Promise<void> {
  await db
    .updateTable('schedules')
    .set({ last_outcome: outcome.slice(0, 500), ...(ranAt && { last_run_at: timestamp(ranAt) }) })
    .where('name', '=', name)
    .execute();
}

export async function selectSchedules(db: Kysely<Database>, names: readonly string[]): Promise<ScheduleRecord[]> {
  if (names.length === 0) return [];
  const rows = await db.selectFrom('schedules').selectAll().where('name', 'in', names).orderBy('name').execute();
  return rows.map((row) => ({
    name: row.name,
    everyMs: row.every_ms,
    nextRunAt: toDate(row.next_run_at),
    lastRunAt: row.last_run_at === null ? null : toDate(row.last_run_at),
    lastOutcome: row.last_outcome,
  }));
}
