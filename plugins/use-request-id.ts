import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export interface RequestIdOptions {
  /** Request and response header that carries the id. Default `X-Request-Id`. */
  header?: string;
}

// A client's id is echoed only when it is short and plain, so it is safe to log and to reflect.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

/** The id of a request that passed through useRequestId; a fresh one for any other. */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (!id) {
    id = randomUUID();
    ids.set(request, id);
  }
  return id;
}

/** The id of a request whose client sent `sent` in the id header: that, when it is sane, else a fresh one. */
export function requestIdFrom(sent: string | null | undefined): string {
  return sent && SANE_ID.test(sent) ? sent : randomUUID();
}

/** Gives every request an id (the client's when it sent a sane one) and returns it in a header. */
export function useRequestId(options: RequestIdOptions = {}): Plugin {
  const header = options.header ?? 'X-Request-Id';
  return {
    // The earliest hook: onRequest would miss responses that Yoga's own plugins end first (/health).
    instrumentation: {
      request({ request }, handle) {
        ids.set(request, requestIdFrom(request.headers.get(header)));
        return handle();
      },
    },
    onResponse({ request, response }) {
      response.headers.set(header, requestIdOf(request));
    },
  };
}
