import type { Caller } from '../kit/caller.js';
import type { Purgeable } from '../kit/keyed-cache.js';
import type { CacheEvent } from '../kit/events.js';
import type { Cached } from '../kit/freshness.js';
import type { UpstreamHttp } from '../kit/http.js';
import type { Quota } from '../kit/quota.js';
import type { SharedTier } from '../kit/shared-tier.js';
import type { LookUpTracer } from '../kit/trace.js';
import { UpstreamError } from '../kit/upstream-error.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';
import { answerFrom, COUNTRIES_CACHE, type LookUpKit, tracedLookUp } from './answers.js';
import { readBundledDataset } from './bundled.js';
import type { Country, CountryDataset } from './countries.js';
import { createDatasetRefresh, type DatasetRefreshOptions, type RefreshOutcome } from './dataset-refresh.js';
import { createLiveFacts } from './live-facts.js';
import { createV5Client, MAX_PAGES } from './v5-client.js';

/**
 * Country facts by ISO 3166-1 alpha-2 code, from REST Countries v5 with a key, from the bundled
 * dataset without. As a Purgeable, the live dataset is one whole: `drop()` forgets it (and
 * returns how many countries it held), and a purge that names keys (places) leaves it alone,
 * since one country serves many places. The bundled dataset is part of the release, never purged.
 */
export interface CountryFacts extends Purgeable {
  /** `live`: REST Countries v5 (REST_COUNTRIES_API_KEY is set); `bundled`: the bundled dataset only. */
  readonly mode: 'live' | 'bundled';
  /**
   * The country with this code and how fresh it is, or null for a code the dataset does not
   * know. Live: CACHED within COUNTRY_CACHE_TTL_S of the load, then STALE (and a refresh
   * starts) for as long as refreshes fail, up to COUNTRY_REFRESH.staleIfErrorMs; BUNDLED where
   * no load has succeeded (or the last good one is older than that). The first look-up of a
   * cold gateway loads the dataset, and every look-up meanwhile waits for that one load.
   */
  get(code: string, caller: Caller): Promise<Cached<Country | null>>;
  /** The scheduled task (COUNTRY_REFRESH): loads the whole dataset again, unless a current one is at hand. */
  refresh(): Promise<RefreshOutcome>;
  /** The last refresh's outcome; null before the first. */
  lastRefresh(): RefreshOutcome | null;
  /** Countries held from REST Countries (the bundled ones are not counted). */
  readonly size: number;
  clear(): void;
}

export interface CountriesOptions {
  http: UpstreamHttp;
  /** Base URL without a trailing slash (REST_COUNTRIES_URL). */
  baseUrl: string;
  policy: UpstreamPolicy;
  quota?: Quota;
  /** REST_COUNTRIES_API_KEY; null: the bundled dataset answers, and REST Countries is never called. */
  apiKey: string | null;
  /** COUNTRY_CACHE_TTL_S, in ms. */
  ttlMs: number;
  now: () => number;
  sharedTier?: SharedTier;
  onEvent?: (cache: string, event: CacheEvent) => void;
  /** Traces the refreshes no look-up started (the schedule's, and revalidations). */
  tracer?: LookUpTracer;
  onRefresh?: DatasetRefreshOptions['onOutcome'];
  /** Reads the bundled dataset; readBundledDataset unless a test counts the reads. Called on first need only. */
  readBundled?: () => Promise<CountryDataset>;
}

/** The country-facts service: the dataset in memory, its refresh, and the bundled dataset as the stand-in. */
export function createCountries(options: CountriesOptions): CountryFacts {
  const { now, ttlMs, apiKey } = options;
  // Read on first need only: a gateway whose live dataset never fails never reads it.
  let bundled: Promise<CountryDataset> | undefined;
  const kit: LookUpKit = {
    ttlMs,
    now,
    emit(span, event) {
      options.onEvent?.(COUNTRIES_CACHE, event);
      span?.event(event);
    },
    bundled() {
      bundled ??= (options.readBundled ?? readBundledDataset)().catch((error: unknown) => {
        bundled = undefined;
        throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'The bundled country dataset could not be read', { cause: error, hostFailure: false });
      });
      return bundled;
    },
  };

  if (!apiKey) {
    return {
      mode: 'bundled',
      get: (code, caller) =>
        tracedLookUp(code, caller, async (key, span) => {
          const dataset = await kit.bundled();
          kit.emit(span, 'hit');
          return answerFrom(kit, dataset, key, 'BUNDLED', caller);
        }),
      refresh: async () => ({ at: now(), ok: true, result: 'current', message: null, countries: 0, fetchedAt: null }),
      lastRefresh: () => null,
      size: 0,
      drop: () => 0,
      purgeShared: async () => 0,
      clear() {},
    };
  }

  const refresher = createDatasetRefresh({
    load: createV5Client({ ...options, apiKey }),
    ttlMs,
    now,
    ...(options.sharedTier && { tier: options.sharedTier }),
    // Every page may take the policy's whole budget; the pages go one after the other.
    lockMs: options.policy.budgetMs * MAX_PAGES,
    ...(options.onRefresh && { onOutcome: options.onRefresh }),
  });
  const live = createLiveFacts(kit, refresher, options.tracer);
  return {
    mode: 'live',
    get: (code, caller) => tracedLookUp(code, caller, (key, span) => live.lookUp(key, caller, span)),
    refresh: () => live.backgroundRefresh(),
    lastRefresh: () => refresher.last(),
    get size() {
      return Object.keys(refresher.held()?.countries ?? {}).length;
    },
    drop: (keys) => (keys ? 0 : refresher.forget()),
    purgeShared: (keys) => (keys ? Promise.resolve(0) : refresher.purgeShared()),
    clear: () => refresher.clear(),
  };
}
