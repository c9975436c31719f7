import type { ReportRecord } from '../db/reports.js';
import type { ReportStateColumn } from '../db/database.js';
import { SUBSCRIBER_BUFFER } from '../events/bus.js';
import { createEventQueue, type LiveStream } from '../events/event-queue.js';
import { type DomainContext, requireViewer } from './context.js';
import { RequestError } from './errors.js';
import { findReport } from './reports.js';
import { readReportEvent } from './topics.js';

/** How far along a state is: a report never goes back to an earlier rank. */
const RANK: Record<ReportStateColumn, number> = { QUEUED: 0, RUNNING: 1, WAITING_FOR_QUOTA: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/** True once a report can change no more. */
export const isFinal = (report: Pick<ReportRecord, 'state'>): boolean => RANK[report.state] === 2;

/**
 * A report as it is now, then each change of its state or progress (whichever instance made
 * it), its final state last; then the stream ends. Only its owner or an admin may watch it:
 * for anyone else, as for an id that names no report, it is FORBIDDEN (which of the two is
 * not told). The changes are heard from before the report is read, so none falls between;
 * one that is older than what was already sent (the read came after it) is skipped.
 */
export async function watchReport(ctx: DomainContext, id: number | null): Promise<LiveStream<ReportRecord>> {
  requireViewer(ctx);
  const refused = () => new RequestError('FORBIDDEN', 'No report of yours has this id: you may watch your own reports only');
  if (id === null) throw refused();
  const changes = ctx.events.subscribe('report-updated', id);
  let current: ReportRecord | null;
  try {
    await changes.ready;
    current = await findReport(ctx, id);
  } catch (error) {
    await changes.return();
    throw error;
  }
  if (!current) {
    await changes.return();
    throw refused();
  }
  const queue = createEventQueue<ReportRecord>({ limit: SUBSCRIBER_BUFFER, onClose: () => void changes.return() });
  queue.push(current);
  if (isFinal(current)) {
    queue.end();
    return queue.stream;
  }
  let last = current;
  void (async () => {
    for await (const event of changes) {
      const report = readReportEvent(event);
      if (!isNewer(report, last)) continue;
      last = report;
      queue.push(report);
      if (isFinal(report)) return queue.end();
    }
  })().catch((error: unknown) => queue.fail(error instanceof Error ? error : new Error(String(error))));
  return queue.stream;
}

/** A change not yet sent: it is not behind `last` in state or progress, and differs from it. */
function isNewer(report: ReportRecord, last: ReportRecord): boolean {
  if (RANK[report.state] < RANK[last.state] || report.done < last.done) return false;
  return JSON.stringify(report) !== JSON.stringify(last);
}
