import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { requestSlot } from '../request-slots.js';

/** Request and response header that carries the id. */
const HEADER = 'X-Request-Id';
// A client's id is echoed only when it is short and plain, so it is safe to log and to reflect.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = requestSlot<string>('request id');

/**
 * The id of a request: the client's when it sent a sane one in X-Request-Id, else a fresh one;
 * settled the first time anyone asks (its context, a log line, its response) and the same after.
 */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (!id) {
    id = requestIdFrom(request.headers.get(HEADER));
    ids.set(request, id);
  }
  return id;
}

/** The id of a request whose client sent `sent` in the id header: that, when it is sane, else a fresh one. */
export function requestIdFrom(sent: string | null | undefined): string {
  return sent && SANE_ID.test(sent) ? sent : randomUUID();
}

/**
 * Returns every request's id in a header, responses that Yoga's own plugins end first (/health)
 * included. No earlier hook: an id is settled when first asked for, so wrapping every request in
 * Yoga's `instrumentation` only to settle it would cost each request for nothing.
 */
export function useRequestId(): Plugin {
  return {
    onResponse({ request, response }) {
      response.headers.set(HEADER, requestIdOf(request));
    },
  };
}
