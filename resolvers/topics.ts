import type { ReportRecord } from '../db/reports.js';

/**
 * What the gateway's event bus carries (see events/bus.ts), one entry a topic. Payloads cross
 * instances as JSON through Redis: dates arrive as ISO text, and whoever subscribes reads them
 * back (see readReportEvent).
 */
export type GatewayTopics = {
  /** A report's state or progress changed (by its run, a start or a cancel); per report id. */
  'report-updated': [reportId: number, report: ReportRecord];
  /** An operator purged caches on one instance (purgeCaches): every other instance drops the same entries. */
  'caches-purged': [purge: CachesPurged];
};

/** What one instance purged, as the others hear it (see resolvers/cache-purge.ts). */
export interface CachesPurged {
  /** The instance that purged: it dropped its own entries already, and skips its own event. */
  origin: string;
  /** Names of the upstream caches purged (see Sources.caches). */
  caches: string[];
  /** Geocoding keys of the places purged, or null for every entry of those caches. */
  places: string[] | null;
  /** Coordinates keys of those places that the purging instance knew; each instance adds those it knows itself. */
  coordinates: string[];
}

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
