import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import {
  beginReportRun,
  cancelFlaggedReport,
  checkpointReport,
  finishReport,
  pauseReport,
  type ReportRecord,
  recordReportFailure,
  type ReportRow,
  reportRunHeld,
  selectDonePositions,
  selectReportNames,
} from '../db/reports.js';
import { CANCELLED, type JobHandler, type JobOutcome, type JobRun, MAX_JOB_ATTEMPTS, retryDelayMs } from '../jobs/engine.js';
import { createUpstreamLoaders } from '../loaders/upstream-loaders.js';
import type { Sources } from '../sources/index.js';
import type { Caller } from '../sources/kit/caller.js';
import type { BackgroundLane } from '../sources/kit/background-lane.js';
import pLimit from 'p-limit';
import { LOCATION_BATCH_CAP } from '../sources/open-meteo/service.js';
import type { UpstreamScope } from './context.js';
import { type CityPart, encodeGatheredPlace, type GatheredPlace, gatherPlaces, quotaWait } from './report-rows.js';

/** The job kind that runs a city report; its payload names the report. */
export const CITY_REPORT_JOB = 'city-report';

export interface CityReportJob {
  reportId: number;
}

/** The job of a report: one per report, so that starting it twice starts one run. */
export function reportJobId(reportId: number): string {
  return `${CITY_REPORT_JOB}-${reportId}`;
}

/** Names gathered per checkpoint: a run that dies redoes this many at most. */
export const REPORT_CHUNK_SIZE = 100;
/** The time one chunk's look-ups may take, retries and waits for a connection included. */
export const REPORT_CHUNK_DEADLINE_MS = 60_000;
/**
 * A chunk is gathered in slices of this many names (one forecast batch), a few at a time
 * (REPORT_SLICES_IN_FLIGHT), each begun in a turn of the event loop of its own: starting a
 * hundred upstream calls at once would hold the event loop for long enough to show in the
 * latency of the requests served meanwhile.
 */
export const REPORT_SLICE = LOCATION_BATCH_CAP;
export const REPORT_SLICES_IN_FLIGHT = 2;
/**
 * How often a run looks, while a chunk is gathered, whether it still holds its report. A cancel
 * made on another instance cannot reach this run's signal: the run hears of it within about this
 * long, and no call of its chunk starts after (the cancel waits up to CANCEL_WAIT_MS for it).
 */
export const REPORT_HELD_CHECK_MS = 1_000;
/** A quota refusal that does not say when its window reopens is waited out this long. */
export const UNKNOWN_QUOTA_WAIT_S = 60;

export interface ReportRunDeps {
  /** The gateway's database, through its background handle. */
  db: Kysely<Database>;
  sources: Sources;
  /** REPORT_QUOTA_SHARE: the share of each upstream quota window a report may spend up to. */
  quotaShare: number;
  /** Where the reports' upstream attempts go out: the process's one background lane. */
  lane: BackgroundLane;
  chunkSize?: number;
  /** Hears of each change of a report's state or progress, the final state last. */
  onChange?: (report: ReportRecord) => void;
  now?: () => number;
  /** Hears of a run that failed and will be tried again. */
  onError?: (error: unknown, reportId: number) => void;
}

/**
 * The job handler of city reports. A run gathers the names that have no row yet, chunk by
 * chunk, through the same pipeline as `cities` (see gatherPlaces), and commits each chunk's
 * rows with the report's progress (the checkpoint). Places refused for quota are not rows:
 * the run pauses (WAITING_FOR_QUOTA) until the window reopens and the engine runs it again.
 * A cancel stops it before its next chunk, or at once in this process (the run's signal);
 * a run that stops for any other reason (drain, crash) is taken up again from its checkpoint.
 */
export function createReportRunner(deps: ReportRunDeps): JobHandler<CityReportJob> {
  const now = deps.now ?? Date.now;
  const chunkSize = deps.chunkSize ?? REPORT_CHUNK_SIZE;
  const publish = (report: ReportRecord | undefined) => {
    if (report) deps.onChange?.(report);
  };

  const runReport = async (run: JobRun<CityReportJob>, id: number): Promise<JobOutcome> => {
    const token = randomUUID();
    const begun = await beginReportRun(deps.db, id, token);
    if (!begun) {
      // Finished, gone, or asked to stop while no run held it (its last run died): then it ends here.
      await cancelFlaggedReport(deps.db, id);
      return undefined;
    }
    publish(begun);
    const names = (await selectReportNames(deps.db, id)) ?? [];
    const parts = begun.parts as CityPart[];
    const done = await selectDonePositions(deps.db, id);
    const pending = names.flatMap((_, position) => (done.has(position) ? [] : [position]));

    /** The run no longer holds the report: it was asked to stop (then this run ends it), or another run took over. */
    const stop = async (): Promise<JobOutcome> => {
      if (run.signal.aborted && run.signal.reason !== CANCELLED) return { retryAt: new Date(now()), reason: 'drain' };
      publish(await finishReport(deps.db, id, token, 'CANCELLED'));
      return undefined;
    };

    for (let at = 0; at < pending.length; at += chunkSize) {
      if (run.signal.aborted || !(await reportRunHeld(deps.db, id, token))) return stop();
      const positions = pending.slice(at, at + chunkSize);
      let calls = 0;
      const released = new AbortController();
      const caller = chunkCaller(AbortSignal.any([run.signal, released.signal]), deps.quotaShare, deps.lane, () => {
        calls += 1;
      });
      const scope = { loaders: createUpstreamLoaders(deps.sources, caller), caller };
      const watch = setInterval(() => {
        reportRunHeld(deps.db, id, token).then(
          (held) => {
            if (!held) released.abort(CANCELLED);
          },
          // The database away: the checkpoint will say.
          () => {},
        );
      }, REPORT_HELD_CHECK_MS);
      let places: GatheredPlace[];
      try {
        places = await gatherInSlices(
          scope,
          positions.map((position) => names[position]!),
          parts,
        );
      } finally {
        clearInterval(watch);
      }
      // A chunk cut short is not kept: its next run gathers it whole.
      if (run.signal.aborted || released.signal.aborted) return stop();
      const rows: ReportRow[] = [];
      let waitSeconds: number | undefined;
      places.forEach((place, index) => {
        const wait = quotaWait(place);
        if (wait === undefined) rows.push({ position: positions[index]!, result: encodeGatheredPlace(place) });
        else waitSeconds = Math.max(waitSeconds ?? 0, wait ?? UNKNOWN_QUOTA_WAIT_S);
      });
      const report = await deps.db.transaction().execute((trx) => checkpointReport(trx, id, token, rows, calls));
      if (!report) return stop();
      publish(report);
      if (waitSeconds !== undefined) {
        const resumesAt = new Date(now() + waitSeconds * 1000);
        const paused = await pauseReport(deps.db, id, token, resumesAt);
        // Asked to stop since the checkpoint (or taken over): not paused, and ended here.
        if (!paused) return stop();
        publish(paused);
        return { retryAt: resumesAt, reason: 'quota' };
      }
    }
    publish(await finishReport(deps.db, id, token, 'SUCCEEDED'));
    return undefined;
  };

  return async (run) => {
    const id = run.payload.reportId;
    try {
      return await runReport(run, id);
    } catch (error) {
      deps.onError?.(error, id);
      // Counted only where the database answers: an outage pauses a report (it goes on from
      // its checkpoint once the database is back), a fault that repeats fails it.
      const counted = await recordReportFailure(deps.db, id, failureMessage(error), MAX_JOB_ATTEMPTS).catch(() => undefined);
      if (counted?.failed) {
        publish(counted.failed);
        return undefined;
      }
      // The backoff follows the failures in a row, not the runs: a report that has waited out
      // many quota windows (a run each) is not kept minutes behind one error. When the database
      // did not answer, its runs are what is known.
      return { retryAt: new Date(now() + retryDelayMs(counted?.failures ?? run.attempt)), reason: 'retry' };
    }
  };
}

/** gatherPlaces over `names`, REPORT_SLICE names at a time, REPORT_SLICES_IN_FLIGHT slices at once; results in input order. */
async function gatherInSlices(scope: UpstreamScope, names: readonly string[], parts: readonly CityPart[]): Promise<GatheredPlace[]> {
  const limit = pLimit(REPORT_SLICES_IN_FLIGHT);
  const slices: Promise<GatheredPlace[]>[] = [];
  for (let at = 0; at < names.length; at += REPORT_SLICE) {
    const slice = names.slice(at, at + REPORT_SLICE);
    slices.push(
      limit(async () => {
        // A turn of its own, so that requests get the event loop between slices.
        await new Promise((resolve) => setImmediate(resolve));
        return gatherPlaces(scope, slice, parts);
      }),
    );
  }
  return (await Promise.all(slices)).flat();
}

/**
 * Who a chunk's look-ups are for: the report's run, which may spend its quota share, hears
 * of every attempt (upstreamCalls), gives up when the run is cancelled or drained, and has
 * REPORT_CHUNK_DEADLINE_MS for the chunk.
 */
function chunkCaller(runSignal: AbortSignal, quotaShare: number, lane: BackgroundLane, onAttempt: () => void): Caller {
  const signal = AbortSignal.any([runSignal, AbortSignal.timeout(REPORT_CHUNK_DEADLINE_MS)]);
  // Every look-up of the chunk listens to it.
  setMaxListeners(0, signal);
  return { deadline: performance.now() + REPORT_CHUNK_DEADLINE_MS, signal, quotaShare, lane, onAttempt };
}

/** What a report's `failure` says of an error: its message, never a stack or a statement's parameters. */
function failureMessage(error: unknown): string {
  return `stopped after repeated errors: ${error instanceof Error ? error.message : String(error)}`;
}
