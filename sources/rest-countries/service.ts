import type { Caller } from '../kit/caller.js';
import type { CacheEvent } from '../kit/events.js';
import type { Cached, FreshnessState } from '../kit/freshness.js';
import type { UpstreamHttp } from '../kit/http.js';
import type { Quota } from '../kit/quota.js';
import type { SharedTier } from '../kit/shared-tier.js';
import type { LookUpSpan, LookUpTracer } from '../kit/trace.js';
import { deadlinePassed, UpstreamError } from '../kit/upstream-error.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';
import { readBundledDataset } from './bundled.js';
import { COUNTRIES, type Country, type CountryDataset } from './countries.js';
import { COUNTRY_REFRESH, createDatasetRefresh, type DatasetRefreshOptions, type RefreshOutcome } from './dataset-refresh.js';
import { createV5Client, MAX_PAGES } from './v5-client.js';

/** Country facts by ISO 3166-1 alpha-2 code, from REST Countries v5 with a key, from the bundled dataset without. */
export interface CountryFacts {
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

const CACHE = 'countries';

/** The country-facts service: the dataset in memory, its refresh, and the bundled dataset as the stand-in. */
export function createCountries(options: CountriesOptions): CountryFacts {
  const { now, ttlMs, apiKey } = options;
  const emit = (span: LookUpSpan | undefined, event: CacheEvent) => {
    options.onEvent?.(CACHE, event);
    span?.event(event);
  };
  // Read on first use only: a gateway whose live dataset never fails never reads it.
  let bundled: Promise<CountryDataset> | undefined;
  const bundledDataset = () => {
    bundled ??= (options.readBundled ?? readBundledDataset)().catch((error: unknown) => {
      bundled = undefined;
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'The bundled country dataset could not be read', { cause: error, hostFailure: false });
    });
    return bundled;
  };

  const answer = (dataset: CountryDataset, code: string, state: FreshnessState, caller: Caller): Cached<Country | null> => {
    const garbled = dataset.garbled[code];
    if (garbled) {
      caller.onDelivery?.(null);
      throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${COUNTRIES} answered with an unexpected shape for ${code} (${garbled})`, { hostFailure: false });
    }
    const freshness = { state, fetchedAt: dataset.fetchedAt, ttlMs: state === 'BUNDLED' ? 0 : ttlMs, ageMs: Math.max(0, now() - dataset.fetchedAt) };
    caller.onDelivery?.(freshness);
    return { value: dataset.countries[code] ?? null, freshness };
  };

  const traced = (code: string, caller: Caller, lookUp: (span?: LookUpSpan) => Promise<Cached<Country | null>>) => {
    const span = caller.tracer?.lookUp(CACHE, code);
    if (!span) return lookUp();
    return lookUp(span).then(
      (cached) => {
        span.end({ state: cached.freshness.state });
        return cached;
      },
      (error: unknown) => {
        span.end({ error });
        throw error;
      },
    );
  };

  if (!apiKey) {
    return {
      mode: 'bundled',
      get: (code, caller) =>
        traced(code.toUpperCase(), caller, async (span) => {
          const dataset = await bundledDataset();
          emit(span, 'hit');
          return answer(dataset, code.toUpperCase(), 'BUNDLED', caller);
        }),
      refresh: async () => ({ at: now(), ok: true, result: 'current', message: null, countries: 0, fetchedAt: null }),
      lastRefresh: () => null,
      size: 0,
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
  const usable = (dataset: CountryDataset | null, at: number) => (dataset && at - dataset.fetchedAt < ttlMs + COUNTRY_REFRESH.staleIfErrorMs ? dataset : null);

  /** A refresh no look-up waits for (the schedule's, or a revalidation), traced on its own and linked to the look-up that started it. */
  const backgroundRefresh = (startedBy?: LookUpSpan) => {
    const own = options.tracer?.lookUp(CACHE, 'dataset');
    own?.event('refresh');
    if (own && startedBy) own.follows(startedBy);
    const flight = refresher.refresh(own ? { trace: own.calls } : {});
    if (own) void flight.then((outcome) => own.end(outcome.ok ? { state: 'LIVE' } : { error: refresher.lastError() }));
    return flight;
  };

  // The look-up whose load the others wait for, while it runs: theirs are linked to it.
  let loading: { flight: Promise<RefreshOutcome>; span: LookUpSpan } | null = null;
  const join = (flight: Promise<RefreshOutcome>, span: LookUpSpan | undefined) => {
    emit(span, 'joined');
    if (span && loading?.flight === flight) span.follows(loading.span);
  };

  /** A refresh the cache starts itself (past the TTL, or after a failure), at most once per COUNTRY_REFRESH.revalidateEveryMs. */
  const revalidate = (at: number, span: LookUpSpan | undefined) => {
    const last = refresher.last();
    if (refresher.running() || (last && at - last.at < COUNTRY_REFRESH.revalidateEveryMs)) return;
    emit(span, 'refresh');
    void backgroundRefresh(span);
  };

  /** No live dataset can answer: the bundled one stands in, or, for a code it does not know, `failure`. */
  const standIn = async (code: string, caller: Caller, span: LookUpSpan | undefined, failure: UpstreamError) => {
    const dataset = await bundledDataset();
    if (dataset.countries[code]) {
      emit(span, 'stale');
      return answer(dataset, code, 'BUNDLED', caller);
    }
    caller.onDelivery?.(null);
    throw failure;
  };

  /** Until the refresh ends, or the caller's deadline: the outcome, or null when the caller gave up. */
  const waitFor = (flight: Promise<RefreshOutcome>, caller: Caller) =>
    new Promise<RefreshOutcome | null>((resolve) => {
      if (caller.signal.aborted) return resolve(null);
      const gaveUp = () => resolve(null);
      caller.signal.addEventListener('abort', gaveUp, { once: true });
      void flight.then((outcome) => {
        caller.signal.removeEventListener('abort', gaveUp);
        resolve(outcome);
      });
    });

  const lastFailure = () => refresher.lastError() ?? new UpstreamError('UPSTREAM_UNAVAILABLE', `${COUNTRIES} has not answered yet`, { hostFailure: false });

  const lookUp = async (code: string, caller: Caller, span?: LookUpSpan): Promise<Cached<Country | null>> => {
    const at = now();
    const held = usable(refresher.held(), at);
    if (held) {
      const fresh = at - held.fetchedAt < ttlMs;
      emit(span, fresh ? 'hit' : 'stale');
      if (!fresh) revalidate(at, span);
      return answer(held, code, fresh ? 'CACHED' : 'STALE', caller);
    }
    let flight = refresher.running();
    if (flight) {
      join(flight, span);
    } else if (refresher.last() === null) {
      // A cold gateway: this look-up loads the dataset, and every other one waits for that load.
      const waitSeconds = caller.spend ? await caller.spend() : null;
      if (waitSeconds !== null) {
        const refused = new UpstreamError('RATE_LIMITED', `${COUNTRIES} was not called: this client's upstream budget is spent; retry in ${waitSeconds} s`, {
          hostFailure: false,
          retryAfterSeconds: waitSeconds,
          origin: 'caller',
        });
        return standIn(code, caller, span, refused);
      }
      flight = refresher.running();
      if (flight) {
        join(flight, span);
      } else {
        emit(span, 'miss');
        flight = refresher.refresh({ ...(span && { trace: span.calls }), ...(caller.onAttempt && { onAttempt: caller.onAttempt }) });
        if (span) {
          const started = { flight, span };
          loading = started;
          void flight.then(() => {
            if (loading === started) loading = null;
          });
        }
      }
    } else {
      revalidate(at, span);
      return standIn(code, caller, span, lastFailure());
    }
    const outcome = await waitFor(flight, caller);
    const loaded = usable(refresher.held(), now());
    if (outcome && loaded) return answer(loaded, code, outcome.result === 'loaded' ? 'LIVE' : 'CACHED', caller);
    return standIn(code, caller, span, outcome ? lastFailure() : deadlinePassed(COUNTRIES));
  };

  return {
    mode: 'live',
    get: (code, caller) => traced(code.toUpperCase(), caller, (span) => lookUp(code.toUpperCase(), caller, span)),
    refresh: () => backgroundRefresh(),
    lastRefresh: () => refresher.last(),
    get size() {
      return Object.keys(refresher.held()?.countries ?? {}).length;
    },
    clear: () => refresher.clear(),
  };
}
