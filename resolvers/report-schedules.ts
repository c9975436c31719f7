import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { deleteFinishedJobs } from '../db/jobs.js';
import { deleteReportsFinishedBefore, selectActiveReportIds } from '../db/reports.js';
import type { JobEngine, ScheduleSpec } from '../jobs/engine.js';
import { CITY_REPORT_JOB, type CityReportJob, reportJobId } from './report-run.js';

const DAY_MS = 24 * 3600_000;

/** How often finished reports past REPORT_RETENTION_DAYS are looked for. */
export const RETENTION_EVERY_MS = 3600_000;
/** How often every report still to run is made sure to have its job (BullMQ; see reportRepair). */
export const REPAIR_EVERY_MS = 60_000;

/** Deletes the reports (and their rows) that finished more than `retentionDays` ago, and finished jobs as old. */
export function reportRetention(db: Kysely<Database>, retentionDays: number, now: () => number = Date.now): ScheduleSpec {
  return {
    name: 'report-retention',
    everyMs: RETENTION_EVERY_MS,
    async run() {
      const before = new Date(now() - retentionDays * DAY_MS);
      await deleteReportsFinishedBefore(db, before);
      await deleteFinishedJobs(db, before);
    },
  };
}

/**
 * Enqueues again every report still to run. Where the engine cannot join the SQL transaction
 * that records a report (BullMQ), a report whose job was not added (Redis was away just then)
 * would wait for ever; this gives it its job within a minute. Enqueueing a job that exists
 * does nothing, so the repair is harmless where nothing is missing.
 */
export function reportRepair(db: Kysely<Database>, jobs: JobEngine): ScheduleSpec {
  return {
    name: 'report-repair',
    everyMs: REPAIR_EVERY_MS,
    async run() {
      for (const reportId of await selectActiveReportIds(db)) {
        const payload: CityReportJob = { reportId };
        await jobs.enqueue({ id: reportJobId(reportId), kind: CITY_REPORT_JOB, payload });
      }
    },
  };
}
