import { setTimeout as sleep } from 'node:timers/promises';
import type { DialectName } from '../db/connect.js';
import {
  cancelFlaggedReport,
  countActiveReports,
  countReportsOfOwner,
  insertReport,
  lockOwner,
  type ReportRecord,
  requestReportCancel,
  selectReportRows,
  selectReportsOfOwner,
} from '../db/reports.js';
import type { JobEngine } from '../jobs/engine.js';
import { type DomainContext, requireViewer } from './context.js';
import { ForbiddenError, NotFoundError, RequestError, ValidationError } from './errors.js';
import { type Connection, type PageArgs, paginate } from './pagination.js';
import { CITY_PARTS, type CityPart, decodeGatheredPlace, type GatheredPlace } from './report-rows.js';
import { CITY_REPORT_JOB, type CityReportJob, reportJobId } from './report-run.js';

/** What city reports need that a request does not carry: made once by the gateway. */
export interface ReportSettings {
  jobs: JobEngine;
  dialect: DialectName;
  /** REPORT_MAX_CITIES: names in one report at most. */
  maxCities: number;
  /** REPORTS_ACTIVE_PER_USER: reports one user may have queued, running or waiting. */
  activePerUser: number;
  /** Hears of the changes requests make (a start, a cancel); a run's own are told by the runner. */
  onChange?: (report: ReportRecord) => void;
  /** Hears of a job that could not be handed to its engine (it is enqueued again by the repair schedule). */
  onEnqueueError?: (error: unknown, reportId: number) => void;
  /** Hears of a cancel its engine could not be told of (the report is cancelled all the same). */
  onCancelError?: (error: unknown, reportId: number) => void;
}

export interface CityReportInput {
  names: readonly string[];
  parts?: readonly CityPart[] | null;
}

/** How long a cancel waits for the run that holds the report to stop before it cuts it off. */
export const CANCEL_WAIT_MS = 10_000;
const CANCEL_POLL_MS = 50;

/** A row of a report: what `cities` answered for the name at `position`. */
export interface ReportRowRecord {
  position: number;
  result: GatheredPlace;
}

/**
 * Starts a report for the viewer: checks the input and the viewer's active reports, then
 * records the report and its job in one transaction (where the engine allows it), so that
 * nothing starts unrecorded and nothing recorded is left unstarted. Answers the QUEUED report.
 */
export async function startCityReport(ctx: DomainContext, input: CityReportInput): Promise<ReportRecord> {
  const viewer = requireViewer(ctx);
  const settings = ctx.reports;
  const names = input.names;
  if (names.length === 0) throw new ValidationError([{ path: ['input', 'names'], message: 'name at least one place' }]);
  if (names.length > settings.maxCities) {
    throw new ValidationError([{ path: ['input', 'names'], message: `must name at most ${settings.maxCities} places (got ${names.length})` }]);
  }
  const parts = input.parts ? CITY_PARTS.filter((part) => input.parts!.includes(part)) : CITY_PARTS;
  const { report, afterCommit } = await ctx.db.transaction().execute(async (trx) => {
    await lockOwner(trx, settings.dialect, viewer.id);
    const active = await countActiveReports(trx, viewer.id);
    if (active >= settings.activePerUser) {
      throw new ValidationError([
        {
          path: ['input'],
          message: `you have ${active} reports queued or running, the most one user may have (REPORTS_ACTIVE_PER_USER = ${settings.activePerUser}); wait for one to finish or cancel one`,
        },
      ]);
    }
    const inserted = await insertReport(trx, { ownerId: viewer.id, names, parts });
    const job: CityReportJob = { reportId: inserted.id };
    return { report: inserted, afterCommit: await settings.jobs.enqueueIn(trx, { id: reportJobId(inserted.id), kind: CITY_REPORT_JOB, payload: job }) };
  });
  // Committed: the report exists. Should its engine be unreachable now, the repair schedule
  // enqueues it later; the report is never lost, only late.
  await afterCommit().catch((error: unknown) => settings.onEnqueueError?.(error, report.id));
  settings.onChange?.(report);
  ctx.loaders.reportById.prime(report.id, report);
  return report;
}

/** A report the viewer may see (theirs, or any for an admin), or null. */
export async function findReport(ctx: DomainContext, id: number | null): Promise<ReportRecord | null> {
  if (id === null || !ctx.viewer) return null;
  const report = await ctx.loaders.reportById.load(id);
  return report && mayRead(ctx, report) ? report : null;
}

export function findReports(ctx: DomainContext, ids: readonly (number | null)[]): Promise<(ReportRecord | null)[]> {
  return Promise.all(ids.map((id) => findReport(ctx, id)));
}

function mayRead(ctx: DomainContext, report: ReportRecord): boolean {
  return report.ownerId === ctx.viewer?.id || ctx.viewer?.role === 'ADMIN';
}

/** The viewer's reports, newest first. */
export function listReports(ctx: DomainContext, args: PageArgs): Promise<Connection<ReportRecord>> {
  const viewer = requireViewer(ctx);
  return paginate(
    args,
    (limit) => selectReportsOfOwner(ctx.db, viewer.id, limit, args.after),
    () => countReportsOfOwner(ctx.db, viewer.id),
  );
}

/**
 * Stops a report that has not finished (its owner or an admin); what it gathered stays. A
 * report no run holds is cancelled at once; a running one is asked to stop and waited for
 * (its run ends it before its next chunk, or at once in this process), so that no upstream
 * call starts for it once this answers. A run that does not answer within CANCEL_WAIT_MS is
 * cut off: it can write nothing more.
 */
export async function cancelCityReport(ctx: DomainContext, ref: { ref: string; id: number | null }): Promise<ReportRecord> {
  const viewer = requireViewer(ctx);
  const report = ref.id === null ? null : await ctx.loaders.reportById.load(ref.id);
  if (!report) throw new NotFoundError(ref.ref, 'No report');
  if (report.ownerId !== viewer.id && viewer.role !== 'ADMIN') throw new ForbiddenError('Only the report’s owner may cancel it');
  const settings = ctx.reports;
  const jobId = reportJobId(report.id);
  const asked = await requestReportCancel(ctx.db, report.id);
  // The database says the report is cancelled, which every run of it heeds: an engine that
  // cannot be told now (Redis away) leaves a run that ends at its next check, or is refused.
  if (asked !== null) {
    await settings.jobs.cancel(jobId).catch((error: unknown) => settings.onCancelError?.(error, report.id));
  }
  if (asked === 'flagged' && !(await stoppedWithin(ctx, report.id, CANCEL_WAIT_MS))) await cancelFlaggedReport(ctx.db, report.id);
  const current = await reloadReport(ctx, report.id);
  if (asked !== null) settings.onChange?.(current);
  return current;
}

async function reloadReport(ctx: DomainContext, id: number): Promise<ReportRecord> {
  ctx.loaders.reportById.clear(id);
  const report = await ctx.loaders.reportById.load(id);
  // Deleted in between (its owner was): nothing to answer about.
  if (!report) throw new NotFoundError(String(id), 'No report');
  return report;
}

/** Waits until the report is no longer RUNNING, up to `ms`; true when it stopped. */
async function stoppedWithin(ctx: DomainContext, id: number, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  for (;;) {
    const report = await reloadReport(ctx, id);
    if (report.state !== 'RUNNING') return true;
    if (performance.now() >= until) return false;
    await sleep(CANCEL_POLL_MS);
  }
}

/** Cursors of report rows: the position of the last row seen, opaque to clients. */
export function encodeRowCursor(position: number): string {
  return Buffer.from(`row:${position}`).toString('base64url');
}

function decodeRowCursor(cursor: string): number {
  const match = /^row:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new RequestError('BAD_USER_INPUT', '"after" is not a cursor returned by this API', { argument: 'after' });
  return Number(match[1]);
}

/** A page of a report's rows in input order. */
export async function reportRows(
  ctx: DomainContext,
  report: ReportRecord,
  args: { first: number; after: string | null },
): Promise<Connection<ReportRowRecord>> {
  const after = args.after === null ? null : decodeRowCursor(args.after);
  const rows = args.first === 0 ? [] : await selectReportRows(ctx.db, report.id, args.first + 1, after);
  const edges = rows
    .slice(0, args.first)
    .map((row) => ({ cursor: encodeRowCursor(row.position), node: { position: row.position, result: decodeGatheredPlace(row.result) } }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > args.first,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: async () => report.done,
  };
}
