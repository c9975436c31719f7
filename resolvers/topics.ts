import type { ReportRecord } from '../db/reports.js';

/**
 * What the gateway's event bus carries (see events/bus.ts), one entry a topic. Payloads cross
 * instances as JSON through Redis: dates arrive as ISO text, and whoever subscribes reads them
 * back (see readReportEvent).
 */
export type GatewayTopics = {
  /** A report's state or progress changed (by its run, a start or a cancel); per report id. */
  'report-updated': [reportId: number, report: ReportRecord];
};

const REPORT_DATES = ['createdAt', 'startedAt', 'finishedAt', 'resumesAt'] as const;

/** A report as the bus delivered it, its dates Dates again (in memory they are; through Redis they are text). */
export function readReportEvent(report: ReportRecord): ReportRecord {
  const read = { ...report };
  for (const field of REPORT_DATES) {
    const value = read[field] as Date | string | null;
    if (typeof value === 'string') (read as Record<string, unknown>)[field] = new Date(value);
  }
  return read;
}
