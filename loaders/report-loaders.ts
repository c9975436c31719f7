import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { type ReportRecord, selectReportsByIds } from '../db/reports.js';
import { orderByKeys } from './order-by-keys.js';

export function createReportLoaders(db: Kysely<Database>) {
  return {
    reportById: new DataLoader<number, ReportRecord | null>(async (ids) => orderByKeys(ids, await selectReportsByIds(db, ids), (report) => report.id)),
  };
}
