import type { Caller } from '../kit/caller.js';
import type { CacheEvent } from '../kit/events.js';
import type { Cached, FreshnessState } from '../kit/freshness.js';
import { inLookUpSpan, type LookUpSpan } from '../kit/trace.js';
import { UpstreamError } from '../kit/upstream-error.js';
import { COUNTRIES, type Country, type CountryDataset } from './countries.js';

/** Names the countries look-ups in metrics, traces and the cache events. */
export const COUNTRIES_CACHE = 'countries';

/** What every countries look-up needs, whichever dataset answers it. */
export interface LookUpKit {
  /** COUNTRY_CACHE_TTL_S, in ms: the TTL a live value says it has. */
  ttlMs: number;
  now: () => number;
  /** Tells the metrics and the look-up's span what the look-up did. */
  emit(span: LookUpSpan | undefined, event: CacheEvent): void;
  /** The bundled dataset, read on first need. */
  bundled(): Promise<CountryDataset>;
}

/**
 * One code's answer from a dataset, as fresh as `state` says, told to the caller (for the
 * answer's lifetime); a code whose entry arrived garbled fails alone.
 */
export function answerFrom(kit: LookUpKit, dataset: CountryDataset, code: string, state: FreshnessState, caller: Caller): Cached<Country | null> {
  const garbled = dataset.garbled[code];
  if (garbled) {
    caller.onDelivery?.(null);
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${COUNTRIES} answered with an unexpected shape for ${code} (${garbled})`, { hostFailure: false });
  }
  const freshness = { state, fetchedAt: dataset.fetchedAt, ttlMs: state === 'BUNDLED' ? 0 : kit.ttlMs, ageMs: Math.max(0, kit.now() - dataset.fetchedAt) };
  caller.onDelivery?.(freshness);
  return { value: dataset.countries[code] ?? null, freshness };
}

/** A look-up by upper-case code, in the caller's trace when it has one. */
export function tracedLookUp(
  code: string,
  caller: Caller,
  lookUp: (code: string, span?: LookUpSpan) => Promise<Cached<Country | null>>,
): Promise<Cached<Country | null>> {
  const key = code.toUpperCase();
  return inLookUpSpan(caller.tracer, COUNTRIES_CACHE, key, (span) => lookUp(key, span));
}
