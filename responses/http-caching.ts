import { createHash } from 'node:crypto';
import type { AnswerLifetime } from '../resolvers/answer-lifetime.js';

/** `Cache-Control` of every answer to a signed-in request: no cache between the gateway and the client keeps it. */
export const PRIVATE_ANSWER = 'private, no-store';
/** `Cache-Control` of an anonymous GET whose answer may not be kept (see publicUntil): a failure, a stale or live value, an error. */
export const UNKEPT_ANSWER = 'no-store';
/**
 * What a kept answer depends on besides its URL: the media type it is written in (Accept),
 * who asks (a shared cache must never hand a signed-in request the anonymous answer, which
 * lacks the viewer's drafts), and the page that asks (CORS answers per Origin).
 */
export const VARY = 'Accept, Authorization, Origin';

/**
 * Until when (wall-clock ms) an HTTP cache may keep an answer of this lifetime: until its
 * first upstream value stops being fresh. SQL rows have no lifetime of their own, and neither
 * has an answer that read nothing that changes (introspection): those are kept no longer than
 * the response cache keeps answers. In the past (or now) when the answer may not be kept.
 */
export function publicUntil(lifetime: AnswerLifetime, responseTtlMs: number, now: number): number {
  if (lifetime.readsDatabase || lifetime.until === Number.POSITIVE_INFINITY) return Math.min(lifetime.until, now + responseTtlMs);
  return lifetime.until;
}

/** `Cache-Control` of an answer an HTTP cache may keep until `until`: the whole seconds left, rounded down. */
export function publicCacheControl(until: number, now: number): string {
  return `public, max-age=${Math.max(0, Math.floor((until - now) / 1000))}`;
}

/** A strong ETag of an answer's bytes. */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** True when the client's `If-None-Match` names `etag` (or is `*`): its copy is current, and it gets a 304. */
export function notModified(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    // A weak comparison, as RFC 9110 asks of If-None-Match.
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}
