import type { Freshness } from '../sources/kit/freshness.js';
import { freshUntil } from '../sources/kit/freshness.js';

/**
 * How long one request's answer stays true: the earliest expiry of the upstream values it
 * read. A response cache may keep the answer until then and no longer; SQL rows leave it
 * alone (the response cache bounds that itself and forgets answers on every write).
 */
export interface AnswerLifetime {
  /** Wall-clock ms; Infinity while nothing limited it, in the past when the answer must not be kept. */
  until: number;
  /** The request read SQL rows: their lifetime is the response cache's (see `until`), which HTTP caches must keep to too. */
  readsDatabase: boolean;
}

export function unlimitedLifetime(): AnswerLifetime {
  return { until: Number.POSITIVE_INFINITY, readsDatabase: false };
}

/**
 * Lowers the lifetime for one upstream value the request received: to when the value stops
 * being fresh. An answer that holds a failure, a stale stand-in, or a value fetched just now
 * is not kept at all: the first may be gone on the next ask, the second is already past its
 * time, and the third would be served again as LIVE when it no longer is. A BUNDLED value
 * sets no limit: the bundled dataset does not change while the process runs.
 */
export function limitLifetime(lifetime: AnswerLifetime, freshness: Freshness | null): void {
  if (freshness?.state === 'BUNDLED') return;
  const until = freshness === null || freshness.state !== 'CACHED' ? Number.NEGATIVE_INFINITY : freshUntil(freshness);
  if (until < lifetime.until) lifetime.until = until;
}
