import { countReports } from '../db/reports.js';
import type { ScheduleState } from '../jobs/engine.js';
import type { DomainContext } from './context.js';

/** The contract's BackgroundWork: every instance's reports at a glance (they live in SQL), and the schedules. */
export interface BackgroundWorkSummary {
  queued: number;
  running: number;
  waitingForQuota: number;
  succeededLastHour: number;
  failedLastHour: number;
  schedules: ScheduleState[];
}

export async function backgroundWork(ctx: DomainContext): Promise<BackgroundWorkSummary> {
  const [counts, schedules] = await Promise.all([countReports(ctx.db, new Date(Date.now() - 3600_000)), ctx.reports.jobs.schedules()]);
  return {
    queued: counts.active.QUEUED ?? 0,
    running: counts.active.RUNNING ?? 0,
    waitingForQuota: counts.active.WAITING_FOR_QUOTA ?? 0,
    succeededLastHour: counts.finished.SUCCEEDED ?? 0,
    failedLastHour: counts.finished.FAILED ?? 0,
    schedules,
  };
}
