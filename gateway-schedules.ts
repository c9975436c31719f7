import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import type { JobEngine } from './jobs/engine.js';
import { reportRepair, reportRetention } from './resolvers/report-schedules.js';
import type { Sources } from './sources/index.js';
import { COUNTRY_REFRESH } from './sources/rest-countries/dataset-refresh.js';

/**
 * Every task the gateway runs on a schedule, registered with its job engine (which runs each
 * tick once across all instances): report retention, the repair that gives every report
 * still to run its job where the engine cannot join the SQL transaction (BullMQ), and the
 * countries dataset's daily refresh when there is a key to load it with.
 */
export function registerSchedules(
  jobs: JobEngine,
  deps: { database: DatabaseHandle; sources: Sources; config: Pick<Config, 'reportRetentionDays'>; now: () => number },
): void {
  const db = deps.database.background;
  jobs.schedule(reportRetention(db, deps.config.reportRetentionDays, deps.now));
  if (jobs.backend === 'bullmq') jobs.schedule(reportRepair(db, jobs));
  const { countries } = deps.sources;
  if (countries.mode === 'live') {
    jobs.schedule({
      name: COUNTRY_REFRESH.name,
      everyMs: COUNTRY_REFRESH.intervalMs,
      async run() {
        const outcome = await countries.refresh();
        if (!outcome.ok) throw new Error(outcome.message ?? outcome.result);
      },
    });
  }
}
