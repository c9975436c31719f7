import type { CallContext } from '../kit/http.js';
import { waitForOtherInstance } from '../kit/shared-load.js';
import type { SharedTier } from '../kit/shared-tier.js';
import { UpstreamError } from '../kit/upstream-error.js';
import { COUNTRIES, type CountryDataset } from './countries.js';
import { type CountriesProblem, CountriesRefusal } from './refusals.js';
import type { LoadDataset } from './v5-client.js';

/**
 * The dataset refresh as a scheduled task: its name, how often it runs, and how long what it
 * loaded may serve. Whatever runs it (a timer now, a job engine's schedule later) reads these.
 */
export const COUNTRY_REFRESH = {
  /** Names the task in logs, metrics and a scheduler's list. */
  name: 'countries-dataset-refresh',
  /** Daily: countries change about never, and a load is 3 of the free tier's 500 calls a month. */
  intervalMs: 24 * 3_600_000,
  /**
   * A dataset younger than this (or than COUNTRY_CACHE_TTL_S, if shorter) counts as current:
   * a refresh adopts it instead of loading, so that instances whose daily timers fire hours
   * apart load once a day between them.
   */
  currentForMs: 12 * 3_600_000,
  /** How long past COUNTRY_CACHE_TTL_S the last good dataset answers (STALE) while refreshes fail. */
  staleIfErrorMs: 7 * 24 * 3_600_000,
  /** A look-up past the TTL starts a refresh in the background, at most once this often. */
  revalidateEveryMs: 3_600_000,
} as const;

/** How a refresh ended, for whatever shows the schedule (a log line, a metric, an admin query). */
export interface RefreshOutcome {
  /** Wall-clock ms when it ended. */
  at: number;
  ok: boolean;
  /**
   * `loaded`: from REST Countries; `shared`: another instance's load, from the shared tier;
   * `current`: the dataset held was young enough, nothing was asked. Otherwise why not: a
   * setting REST Countries refused (CountriesProblem), or `failed` (down, timed out, garbled).
   */
  result: 'loaded' | 'shared' | 'current' | CountriesProblem | 'failed';
  /** Why not, safe to show anyone (no URL, key or body); null when ok. */
  message: string | null;
  /** Countries in the dataset held now (after a failure, the previous one's); 0 when none. */
  countries: number;
  /** When the dataset held now was fetched; null when none is. */
  fetchedAt: number | null;
}

export interface DatasetRefreshOptions {
  load: LoadDataset;
  /** COUNTRY_CACHE_TTL_S, in ms. */
  ttlMs: number;
  now: () => number;
  /** With Redis: the dataset lives there too, and one instance loads it for all. */
  tier?: SharedTier;
  /** How long one instance may hold the load's lock: about the longest a whole load takes. */
  lockMs: number;
  /** Hears every outcome, with the error of a failed one (for the log and the metrics). */
  onOutcome?: (outcome: RefreshOutcome, error: unknown) => void;
}

export interface DatasetRefresh {
  /** The last good dataset, whatever its age; null before the first load. */
  held(): CountryDataset | null;
  /** The outcome of the last refresh that ended; null before the first. */
  last(): RefreshOutcome | null;
  /** Why the last refresh failed; null when it did not. */
  lastError(): UpstreamError | null;
  /** The refresh under way, if any. */
  running(): Promise<RefreshOutcome> | null;
  /**
   * Loads the whole dataset unless a current one is at hand (here or in the shared tier), one
   * refresh at a time: a second caller gets the first one's promise. Never rejects; a failure
   * keeps the last good dataset and is told in the outcome.
   */
  refresh(context?: CallContext): Promise<RefreshOutcome>;
  /**
   * A purge: forgets the dataset held and every outcome, so that the next look-up loads the
   * dataset again as on a cold gateway (rather than the bundled one standing in until the
   * next revalidation). Returns how many countries were held. A refresh under way goes on.
   */
  forget(): number;
  /** A purge of the shared tier: removes the dataset there and the lock of its load; resolves with 1 if it was there. Rejects as SharedTier.delete. */
  purgeShared(): Promise<number>;
  clear(): void;
}

/** The shared tier's key of the dataset. */
export const SHARED_DATASET_KEY = 'gatherql:countries:dataset';
/** The shared tier's lock of whoever loads the dataset. */
const LOAD_LOCK_KEY = `${SHARED_DATASET_KEY}:load`;

export function createDatasetRefresh(options: DatasetRefreshOptions): DatasetRefresh {
  const { load, ttlMs, now, tier } = options;
  const currentForMs = Math.min(COUNTRY_REFRESH.currentForMs, ttlMs);
  const keepMs = ttlMs + COUNTRY_REFRESH.staleIfErrorMs;
  let held: CountryDataset | null = null;
  let last: RefreshOutcome | null = null;
  let lastError: UpstreamError | null = null;
  let flight: Promise<RefreshOutcome> | null = null;
  const closing = new AbortController();

  const isCurrent = (dataset: CountryDataset | null | undefined): dataset is CountryDataset => !!dataset && now() - dataset.fetchedAt < currentForMs;

  const readShared = async (): Promise<CountryDataset | undefined> => {
    try {
      const text = await tier!.get(SHARED_DATASET_KEY);
      return text === null ? undefined : (JSON.parse(text) as CountryDataset);
    } catch {
      return undefined;
    }
  };

  const finish = (result: RefreshOutcome['result'], error: unknown = null): RefreshOutcome => {
    const outcome: RefreshOutcome = {
      at: now(),
      ok: error === null,
      result,
      message: error === null ? null : (lastError?.message ?? null),
      countries: held ? Object.keys(held.countries).length : 0,
      fetchedAt: held?.fetchedAt ?? null,
    };
    last = outcome;
    // A load cut short by close() is no news to report.
    if (!closing.signal.aborted) options.onOutcome?.(outcome, error);
    return outcome;
  };

  /** Another instance's dataset: current in the tier, or written there while this one waited for the lock. */
  const fromOtherInstance = async (): Promise<CountryDataset | null> => {
    if (!tier) return null;
    const shared = await readShared();
    if (isCurrent(shared)) return shared;
    return waitForOtherInstance({
      tier,
      lockKey: LOAD_LOCK_KEY,
      lockMs: options.lockMs,
      deadline: Number.POSITIVE_INFINITY,
      signal: closing.signal,
      read: async () => {
        const written = await readShared();
        return isCurrent(written) ? written : undefined;
      },
    });
  };

  const run = async (context: CallContext = {}): Promise<RefreshOutcome> => {
    if (isCurrent(held)) return finish('current');
    const shared = await fromOtherInstance();
    if (shared) {
      held = shared;
      lastError = null;
      return finish('shared');
    }
    try {
      const dataset = await load({ ...context, signal: context.signal ? AbortSignal.any([context.signal, closing.signal]) : closing.signal });
      held = dataset;
      lastError = null;
      await tier?.set(SHARED_DATASET_KEY, JSON.stringify(dataset), keepMs).catch(() => {});
      return finish('loaded');
    } catch (error) {
      // Failed: an instance waiting for the lock may try now rather than at its end.
      if (tier) void tier.unlock(LOAD_LOCK_KEY);
      lastError = error instanceof UpstreamError ? error : new UpstreamError('UPSTREAM_UNAVAILABLE', `${COUNTRIES} failed`, { cause: error });
      return finish(error instanceof CountriesRefusal ? error.problem : 'failed', error);
    }
  };

  return {
    held: () => held,
    last: () => last,
    lastError: () => lastError,
    running: () => flight,
    refresh(context) {
      flight ??= run(context).finally(() => {
        flight = null;
      });
      return flight;
    },
    forget() {
      const countries = held ? Object.keys(held.countries).length : 0;
      held = null;
      last = null;
      lastError = null;
      return countries;
    },
    purgeShared: async () => (tier ? tier.delete([SHARED_DATASET_KEY], [LOAD_LOCK_KEY]) : 0),
    clear() {
      closing.abort();
      held = null;
    },
  };
}
