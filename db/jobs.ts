import { type Kysely, sql, type Transaction } from 'kysely';
import type { DialectName } from './connect.js';
import type { Database, JobState } from './database.js';
import { timestamp, toDate } from './records.js';

// The embedded job engine's statements (jobs/embedded.ts). A claim and a lease extension take
// a transaction: the row they change is the lock, and nothing else may slip in between.

/** A job as the embedded engine reads it back. */
export interface JobRecord {
  id: string;
  kind: string;
  payload: string;
  attempts: number;
}

export interface NewJob {
  id: string;
  kind: string;
  /** JSON. */
  payload: string;
  runAt: Date;
}

/** Queues a job; an id that is queued or running is left as it is, a finished one is queued anew. */
export async function insertJob(db: Kysely<Database>, job: NewJob): Promise<void> {
  const at = timestamp();
  await db
    .insertInto('jobs')
    .values({ id: job.id, kind: job.kind, payload: job.payload, state: 'queued', run_at: timestamp(job.runAt), created_at: at, updated_at: at })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet({ state: 'queued', payload: job.payload, run_at: timestamp(job.runAt), attempts: 0, last_error: null, updated_at: at })
        .where('jobs.state', 'in', ['succeeded', 'failed', 'cancelled']),
    )
    .execute();
}

/**
 * Takes the job that is due first: queued and due, or running under a lease that ran out (its
 * process died). One UPDATE … RETURNING, so that two processes never take one job: on
 * PostgreSQL the chosen row is locked and skipped by the others (SKIP LOCKED); SQLite has one
 * writer at a time.
 */
export async function claimJob(
  trx: Transaction<Database>,
  dialect: DialectName,
  claim: { owner: string; now: Date; leaseUntil: Date; kinds: readonly string[]; running: readonly string[] },
): Promise<JobRecord | undefined> {
  if (claim.kinds.length === 0) return undefined;
  const now = timestamp(claim.now);
  let due = trx
    .selectFrom('jobs')
    .select('id')
    .where('kind', 'in', claim.kinds)
    .where((eb) => eb.or([eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]), eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)])]))
    .orderBy('run_at')
    .limit(1);
  // The claimer's own runs under way are its own, whatever its clock says of their leases.
  if (claim.running.length > 0) due = due.where('id', 'not in', claim.running);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return trx
    .updateTable('jobs')
    .set({ state: 'running', lease_owner: claim.owner, lease_until: timestamp(claim.leaseUntil), attempts: sql`attempts + 1`, updated_at: now })
    .where('id', '=', due)
    .returning(['id', 'kind', 'payload', 'attempts'])
    .executeTakeFirst();
}

/** Renews the lease of a job this owner runs; false when it is no longer this owner's (another took it). */
export async function extendLease(trx: Transaction<Database>, id: string, owner: string, leaseUntil: Date): Promise<boolean> {
  const result = await trx
    .updateTable('jobs')
    .set({ lease_until: timestamp(leaseUntil), updated_at: timestamp() })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Ends a run this owner holds: finished for good, or queued again for `runAt`. */
export async function endJobRun(
  db: Kysely<Database>,
  id: string,
  owner: string,
  end: { state: Exclude<JobState, 'running' | 'queued'> } | { state: 'queued'; runAt: Date },
  error: string | null = null,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      state: end.state,
      ...(end.state === 'queued' && { run_at: timestamp(end.runAt) }),
      lease_owner: null,
      lease_until: null,
      last_error: error,
      updated_at: timestamp(),
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .execute();
}

/**
 * Queues again every job left running: for a process that is alone on its database, whose
 * every running job at start was left by its own previous life (killed), so that it goes on
 * at once rather than when the dead process's lease runs out.
 */
export async function requeueLeftRunning(db: Kysely<Database>, now: Date): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({ state: 'queued', run_at: timestamp(now), lease_owner: null, lease_until: null, updated_at: timestamp(now) })
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Drops a job that no process has taken yet. */
export async function cancelQueuedJob(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('jobs').set({ state: 'cancelled', updated_at: timestamp() }).where('id', '=', id).where('state', '=', 'queued').execute();
}

/**
 * When the next job becomes claimable: the earliest due time of a queued job, or the end of a
 * lease of a job that is not one of `running` (the caller's own runs); null when there is none.
 */
export async function selectNextDue(db: Kysely<Database>, kinds: readonly string[], running: readonly string[]): Promise<Date | null> {
  if (kinds.length === 0) return null;
  let query = db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min(eb.case().when('state', '=', 'queued').then(eb.ref('run_at')).else(eb.ref('lease_until')).end()).as('due'))
    .where('kind', 'in', kinds)
    .where('state', 'in', ['queued', 'running']);
  if (running.length > 0) query = query.where('id', 'not in', running);
  const row = await query.executeTakeFirst();
  return row?.due ? toDate(row.due as Date | string) : null;
}

export async function countJobsByState(db: Kysely<Database>): Promise<Partial<Record<JobState, number>>> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
}

/** Forgets finished jobs last touched before `before`; returns how many. */
export async function deleteFinishedJobs(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
    .where('updated_at', '<', timestamp(before))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
