import type { PostRecord } from '../db/records.js';
import type { ReportRecord } from '../db/reports.js';
import type { CurrentWeather } from '../sources/open-meteo/forecast.js';

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
  // Live data (schema/subscriptions.ts):
  /** A post became published (created published, or updated from a draft); never a draft. */
  'post-published': [post: PostRecord];
  /** A watched place's weather changed, as the instance that fetched it saw it (see resolvers/weather-watch.ts); per coordinates key. */
  'weather-changed': [coordinatesKey: string, change: WeatherChange];
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

/** A place's new current weather, and when the upstream gave it. */
export interface WeatherChange {
  value: CurrentWeather;
  /** Wall-clock ms when the upstream answered. */
  fetchedAt: number;
  ttlMs: number;
}

const REPORT_DATES = ['createdAt', 'startedAt', 'finishedAt', 'resumesAt'] as const;

/** A report as the bus delivered it, its dates Dates again (in memory they are; through Redis they are text). */
export function readReportEvent(report: ReportRecord): ReportRecord {
  return withDates(report, REPORT_DATES);
}

/** A post as the bus delivered it, its dates Dates again. */
export function readPostEvent(post: PostRecord): PostRecord {
  return withDates(post, ['createdAt', 'updatedAt']);
}

function withDates<T extends object>(record: T, fields: readonly (keyof T)[]): T {
  const read = { ...record };
  for (const field of fields) {
    const value = read[field] as Date | string | null;
    if (typeof value === 'string') (read as Record<keyof T, unknown>)[field] = new Date(value);
  }
  return read;
}
