import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { DialectName } from './connect.js';
import type { CityReportsTable, Database, ReportStateColumn } from './database.js';
import { type Keyset, timestamp, toDate } from './records.js';

// City reports and their rows (resolvers/reports.ts, resolvers/report-run.ts). A run holds a
// token (run_token): every write of a run names it, so that a run that lost its claim (its
// process stalled, another took over) or was cancelled writes nothing more.

/** A report as the rest of the app sees it (its names and rows are read apart). */
export interface ReportRecord {
  id: number;
  ownerId: number;
  state: ReportStateColumn;
  parts: string[];
  total: number;
  done: number;
  upstreamCalls: number;
  resumesAt: Date | null;
  failure: string | null;
  cancelRequested: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type ReportRow = { position: number; result: string };

/** States in which a report is still to run: what REPORTS_ACTIVE_PER_USER counts. */
export const ACTIVE_REPORT_STATES: readonly ReportStateColumn[] = ['QUEUED', 'RUNNING', 'WAITING_FOR_QUOTA'];

const reportColumns = [
  'id',
  'owner_id',
  'state',
  'parts',
  'total',
  'done',
  'upstream_calls',
  'resumes_at',
  'failure',
  'cancel_requested',
  'created_at',
  'started_at',
  'finished_at',
] as const;

type ReportSelection = Pick<Selectable<CityReportsTable>, (typeof reportColumns)[number]>;

const optionalDate = (value: Date | string | null) => (value === null ? null : toDate(value));

function toReport(row: ReportSelection): ReportRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    state: row.state,
    parts: row.parts === '' ? [] : row.parts.split(','),
    total: row.total,
    done: row.done,
    upstreamCalls: row.upstream_calls,
    resumesAt: optionalDate(row.resumes_at),
    failure: row.failure,
    cancelRequested: Boolean(row.cancel_requested),
    createdAt: toDate(row.created_at),
    startedAt: optionalDate(row.started_at),
    finishedAt: optionalDate(row.finished_at),
  };
}

/**
 * Holds the owner's row until the transaction ends, so that two reports started at once by
 * one user are counted one after the other. SQLite needs no lock: it has one writer.
 */
export async function lockOwner(trx: Transaction<Database>, dialect: DialectName, ownerId: number): Promise<void> {
  if (dialect === 'postgres') await trx.selectFrom('users').select('id').where('id', '=', ownerId).forUpdate().execute();
}

export async function countActiveReports(db: Kysely<Database>, ownerId: number): Promise<number> {
  const { count } = await db
    .selectFrom('city_reports')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('owner_id', '=', ownerId)
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function insertReport(
  db: Kysely<Database>,
  report: { ownerId: number; names: readonly string[]; parts: readonly string[] },
): Promise<ReportRecord> {
  const at = timestamp();
  const row = await db
    .insertInto('city_reports')
    .values({
      owner_id: report.ownerId,
      state: 'QUEUED',
      names: JSON.stringify(report.names),
      parts: report.parts.join(','),
      total: report.names.length,
      created_at: at,
      updated_at: at,
    })
    .returning(reportColumns)
    .executeTakeFirstOrThrow();
  return toReport(row);
}

export async function selectReportsByIds(db: Kysely<Database>, ids: readonly number[]): Promise<ReportRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('city_reports').select(reportColumns).where('id', 'in', ids).execute();
  return rows.map(toReport);
}

/** An owner's reports newest first, `limit` rows after the keyset position. */
export async function selectReportsOfOwner(db: Kysely<Database>, ownerId: number, limit: number, after: Keyset | null): Promise<ReportRecord[]> {
  let query = db
    .selectFrom('city_reports')
    .select(reportColumns)
    .where('owner_id', '=', ownerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(timestamp(after.createdAt), after.id)));
  return (await query.execute()).map(toReport);
}

export async function countReportsOfOwner(db: Kysely<Database>, ownerId: number): Promise<number> {
  const { count } = await db
    .selectFrom('city_reports')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('owner_id', '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** What a run needs of its report besides the record: the names as asked. */
export async function selectReportNames(db: Kysely<Database>, id: number): Promise<string[] | undefined> {
  const row = await db.selectFrom('city_reports').select('names').where('id', '=', id).executeTakeFirst();
  return row && (JSON.parse(row.names) as string[]);
}

/** A page of a report's rows in input order, after `afterPosition`. */
export async function selectReportRows(db: Kysely<Database>, reportId: number, limit: number, afterPosition: number | null): Promise<ReportRow[]> {
  let query = db.selectFrom('city_report_rows').select(['position', 'result']).where('report_id', '=', reportId).orderBy('position').limit(limit);
  if (afterPosition !== null) query = query.where('position', '>', afterPosition);
  return query.execute();
}

/** The positions that have their row: where a run that resumes goes on from. */
export async function selectDonePositions(db: Kysely<Database>, reportId: number): Promise<Set<number>> {
  const rows = await db.selectFrom('city_report_rows').select('position').where('report_id', '=', reportId).execute();
  return new Set(rows.map((row) => row.position));
}

/**
 * Starts (or resumes) a run: RUNNING under `token`, unless the report has finished, was
 * cancelled, or was asked to stop. Undefined when there is nothing to run.
 */
export async function beginReportRun(db: Kysely<Database>, id: number, token: string): Promise<ReportRecord | undefined> {
  const at = timestamp();
  const row = await db
    .updateTable('city_reports')
    .set({ state: 'RUNNING', run_token: token, started_at: sql`coalesce(started_at, ${at})`, resumes_at: null, updated_at: at })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .where('cancel_requested', '=', false)
    .returning(reportColumns)
    .executeTakeFirst();
  return row && toReport(row);
}

/**
 * A run's checkpoint: the rows of one chunk and the progress they make, in one transaction,
 * so that a run that dies redoes at most the chunk it had not committed. Undefined, and
 * nothing written, when the run no longer holds the report (cancelled, or taken over).
 */
export async function checkpointReport(
  trx: Transaction<Database>,
  id: number,
  token: string,
  rows: readonly ReportRow[],
  calls: number,
): Promise<ReportRecord | undefined> {
  const held = await trx
    .updateTable('city_reports')
    .set({ updated_at: timestamp() })
    .where('id', '=', id)
    .where('run_token', '=', token)
    .where('state', '=', 'RUNNING')
    .where('cancel_requested', '=', false)
    .executeTakeFirst();
  if (held.numUpdatedRows === 0n) return undefined;
  let inserted = 0;
  // Within SQLite's and PostgreSQL's limits on bound parameters per statement.
  for (let at = 0; at < rows.length; at += 500) {
    const slice = rows.slice(at, at + 500).map((row) => ({ report_id: id, position: row.position, result: row.result }));
    const result = await trx
      .insertInto('city_report_rows')
      .values(slice)
      .onConflict((conflict) => conflict.columns(['report_id', 'position']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  const row = await trx
    .updateTable('city_reports')
    .set((eb) => ({ done: eb('done', '+', inserted), upstream_calls: eb('upstream_calls', '+', calls), failures: 0 }))
    .where('id', '=', id)
    .returning(reportColumns)
    .executeTakeFirstOrThrow();
  return toReport(row);
}

/**
 * The run pauses until `resumesAt` (a quota window reopens); undefined when it no longer holds
 * the report, or was asked to stop since its checkpoint: paused, a flagged report would wait
 * for a run that the flag then refuses, and never end.
 */
export async function pauseReport(db: Kysely<Database>, id: number, token: string, resumesAt: Date): Promise<ReportRecord | undefined> {
  const row = await db
    .updateTable('city_reports')
    .set({ state: 'WAITING_FOR_QUOTA', resumes_at: timestamp(resumesAt), updated_at: timestamp() })
    .where('id', '=', id)
    .where('run_token', '=', token)
    .where('state', '=', 'RUNNING')
    .where('cancel_requested', '=', false)
    .returning(reportColumns)
    .executeTakeFirst();
  return row && toReport(row);
}

/** Ends the run for good: SUCCEEDED, FAILED (with why) or CANCELLED; undefined when it no longer holds the report. */
export async function finishReport(
  db: Kysely<Database>,
  id: number,
  token: string,
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
  failure: string | null = null,
): Promise<ReportRecord | undefined> {
  const at = timestamp();
  const row = await db
    .updateTable('city_reports')
    .set({ state, failure, finished_at: at, resumes_at: null, run_token: null, updated_at: at })
    .where('id', '=', id)
    .where('run_token', '=', token)
    .where('state', 'in', ['RUNNING', 'WAITING_FOR_QUOTA'])
    .returning(reportColumns)
    .executeTakeFirst();
  return row && toReport(row);
}

/**
 * Asks a report to stop. One that no run holds (queued, or waiting for quota) is CANCELLED at
 * once; a running one is flagged, and its run stops at its next check (its checkpoints refuse
 * from now on). Answers which of the two happened, or null when the report had finished.
 */
export async function requestReportCancel(db: Kysely<Database>, id: number): Promise<'cancelled' | 'flagged' | null> {
  const at = timestamp();
  // One statement: a run that pauses (RUNNING to WAITING_FOR_QUOTA) between a write for the
  // idle states and one for the running state would be missed by both, and the cancel lost.
  const row = await db
    .updateTable('city_reports')
    .set({
      state: sql<ReportStateColumn>`case when state = 'RUNNING' then state else 'CANCELLED' end`,
      finished_at: sql<string | null>`case when state = 'RUNNING' then finished_at else ${at} end`,
      resumes_at: sql<string | null>`case when state = 'RUNNING' then resumes_at else null end`,
      run_token: sql<string | null>`case when state = 'RUNNING' then run_token else null end`,
      cancel_requested: true,
      updated_at: at,
    })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .returning('state')
    .executeTakeFirst();
  if (!row) return null;
  return row.state === 'RUNNING' ? 'flagged' : 'cancelled';
}

/** Cancels a flagged report whose run did not answer in time: its token is dropped, so it writes nothing more. */
export async function cancelFlaggedReport(db: Kysely<Database>, id: number): Promise<void> {
  const at = timestamp();
  await db
    .updateTable('city_reports')
    .set({ state: 'CANCELLED', finished_at: at, run_token: null, updated_at: at })
    .where('id', '=', id)
    .where('state', '=', 'RUNNING')
    .where('cancel_requested', '=', true)
    .execute();
}

/** A run's error as counted: the failures in a row so far, and the report when they ended it. */
export interface CountedFailure {
  failures: number;
  failed?: ReportRecord;
}

/**
 * Counts a run that ended in an error (the database answered, so the fault is not an
 * outage): after `maxFailures` in a row with no checkpoint between them the report is
 * FAILED, with the last error as its failure. Undefined when the report is no longer active.
 */
export async function recordReportFailure(db: Kysely<Database>, id: number, message: string, maxFailures: number): Promise<CountedFailure | undefined> {
  const at = timestamp();
  const counted = await db
    .updateTable('city_reports')
    .set((eb) => ({ failures: eb('failures', '+', 1), updated_at: at }))
    .where('id', '=', id)
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .returning('failures')
    .executeTakeFirst();
  if (!counted) return undefined;
  if (counted.failures < maxFailures) return { failures: counted.failures };
  const row = await db
    .updateTable('city_reports')
    .set({ state: 'FAILED', failure: message.slice(0, 500), finished_at: at, resumes_at: null, run_token: null, updated_at: at })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .returning(reportColumns)
    .executeTakeFirst();
  return { failures: counted.failures, ...(row && { failed: toReport(row) }) };
}

/** Whether a run may go on: it still holds the report and nobody asked it to stop. */
export async function reportRunHeld(db: Kysely<Database>, id: number, token: string): Promise<boolean> {
  const row = await db.selectFrom('city_reports').select(['run_token', 'cancel_requested', 'state']).where('id', '=', id).executeTakeFirst();
  return row !== undefined && row.run_token === token && row.state === 'RUNNING' && !row.cancel_requested;
}

/** Reports still to run, for the repair that makes sure each has its job. */
export async function selectActiveReportIds(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('city_reports').select('id').where('state', 'in', ACTIVE_REPORT_STATES).execute();
  return rows.map((row) => row.id);
}

/** Deletes reports (and their rows) that finished before `before`; returns how many. */
export async function deleteReportsFinishedBefore(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('city_reports')
    .where('state', 'in', ['SUCCEEDED', 'FAILED', 'CANCELLED'])
    .where('finished_at', '<', timestamp(before))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Reports per state now, and those that finished since `since` per final state. */
export async function countReports(
  db: Kysely<Database>,
  since: Date,
): Promise<{ active: Partial<Record<ReportStateColumn, number>>; finished: Partial<Record<ReportStateColumn, number>> }> {
  const active = await db
    .selectFrom('city_reports')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
    .where('state', 'in', ACTIVE_REPORT_STATES)
    .groupBy('state')
    .execute();
  const finished = await db
    .selectFrom('city_reports')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
    .where('finished_at', '>=', timestamp(since))
    .groupBy('state')
    .execute();
  const byState = (rows: { state: ReportStateColumn; count: number }[]) => Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  return { active: byState(active), finished: byState(finished) };
}
