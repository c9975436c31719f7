import type { Freshness } from '../sources/kit/freshness.js';
import { UpstreamError, type UpstreamErrorCode } from '../sources/kit/upstream-error.js';

/** An upstream value's freshness as the schema shows it. */
export interface FreshnessRecord {
  state: Freshness['state'];
  fetchedAt: Date;
  ageSeconds: number;
  ttlSeconds: number;
}

export function toFreshnessRecord(freshness: Freshness): FreshnessRecord {
  return {
    state: freshness.state,
    fetchedAt: new Date(freshness.fetchedAt),
    ageSeconds: Math.floor(freshness.ageMs / 1000),
    ttlSeconds: Math.round(freshness.ttlMs / 1000),
  };
}

/** One part of an answer that an upstream could not give: the schema's UpstreamError. */
export interface UpstreamFailure {
  kind: 'UpstreamError';
  /** Which upstream failed: "forecast", "air-quality", "countries", … */
  source: string;
  code: UpstreamErrorCode;
  message: string;
  retryAfterSeconds: number | null;
}

export function upstreamFailure(source: string, code: UpstreamErrorCode, message: string, retryAfterSeconds: number | null = null): UpstreamFailure {
  return { kind: 'UpstreamError', source, code, message, retryAfterSeconds };
}

/**
 * The failure of one look-up, as data. Only an UpstreamError is an upstream's failure;
 * anything else is a bug, and is rethrown to be masked as one rather than passed off as the
 * upstream's fault.
 */
export function asUpstreamFailure(source: string, error: unknown): UpstreamFailure {
  if (!(error instanceof UpstreamError)) throw error;
  return upstreamFailure(source, error.code, error.message, error.retryAfterSeconds);
}
