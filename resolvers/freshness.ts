/**
 * How long one request's answer stays true: the earliest expiry of anything it read that
 * expires. A response cache may keep the answer until then and no longer; data that no
 * cache of ours expires (SQL rows) leaves it alone, and the response cache bounds that itself.
 */
export interface Freshness {
  /** Wall-clock ms; Infinity while nothing limited it, in the past when the answer must not be kept. */
  until: number;
}

export function unlimitedFreshness(): Freshness {
  return { until: Number.POSITIVE_INFINITY };
}

/** The answer is true no longer than `until`. */
export function limitFreshness(freshness: Freshness, until: number): void {
  if (until < freshness.until) freshness.until = until;
}

/** The answer must not be kept at all: it holds a failure or a stand-in that may be gone on the next ask. */
export function doNotKeep(freshness: Freshness): void {
  freshness.until = Number.NEGATIVE_INFINITY;
}
