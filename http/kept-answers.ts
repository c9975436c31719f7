import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { anonymousClientKey } from '../limits/client-key.js';
import type { BudgetState } from '../limits/budget.js';
import { type RateLimit, refusalMediaType } from '../limits/rate-limit.js';
import type { Metrics } from '../metrics.js';
import { requestIdFrom } from '../plugins/use-request-id.js';
import { logRequest, millisecondsSince } from '../plugins/use-request-log.js';
import { processingTime, totalTiming } from '../plugins/use-server-timing.js';
import { notModified, publicCacheControl, UNKEPT_ANSWER, VARY } from '../responses/http-caching.js';
import type { Flight, InFlightAnswers, SharedAnswer } from '../responses/in-flight.js';
import { KEPT_ANSWERS_MAX, type KeptResponse, type Lookup, type ResponseStore } from '../responses/store.js';
import type { NodeListener } from './node-listener.js';

/** The largest POST body the lane reads itself: operations are small; anything larger goes to Yoga as it comes. */
export const LANE_MAX_BODY_BYTES = 8 * 1024;
/** The POSTs the lane reads: JSON in UTF-8, as Yoga reads them. */
const JSON_BODY = /^application\/json(; ?charset=utf-8)?$/i;

/**
 * The Accept headers the lane answers, and the media type of their answer: what Yoga picks for
 * them. Any other goes to Yoga, which negotiates.
 */
const MEDIA_TYPES = new Map<string | undefined, string>([
  [undefined, 'application/json'],
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json', 'application/graphql-response+json'],
]);

export interface KeptAnswersOptions {
  /** The response cache's store (see useResponseCache): the lane only reads it. */
  store: ResponseStore;
  /**
   * The executions in flight that the response cache lets identical queries share: a request
   * the lane knows arrives while its answer is being worked out waits for it here, not in
   * Yoga. None: such a request goes to Yoga.
   */
  flights?: InFlightAnswers;
  /** The GraphQL endpoint's path. */
  endpoint: string;
  /** The response cache's clock. */
  now: () => number;
  logger: Logger;
  metrics: Pick<Metrics, 'httpRequests' | 'cacheEvents'>;
  /** RATE_LIMIT_PER_MINUTE's budget, the one the rate-limit plugin spends; null when off. */
  rateLimit: RateLimit | null;
  /** TRUST_PROXY: the client's address is X-Forwarded-For's (rate limit and log, as createClientKey). */
  trustProxy: boolean;
}

/** The lane of kept answers in front of Yoga (see createKeptAnswers). */
export interface KeptAnswers {
  /** The node:http listener: kept answers from the lane, everything else from `next`. */
  listener(next: NodeListener): NodeListener;
  /** Learns the response-cache key of a request the lane passed on (see useResponseCache's onKey). */
  learn(key: string, serverContext: unknown): void;
  /**
   * The shared answer the lane waited for on behalf of a request it then passed on, since it
   * writes only answers without errors (Yoga writes the rest): the response cache answers
   * that request with it (see useResponseCache's joinedEarlier).
   */
  joinedEarlier(serverContext: unknown): SharedAnswer | undefined;
}

/** The cache event an answer counts as once written: a hit, or nothing more (a join counts as it begins). */
interface Counted {
  inc(): void;
}
const ALREADY_COUNTED: Counted = { inc: () => {} };

/** A request the lane may answer: its exact bytes, and the media type of its answer. */
interface Asked {
  raw: string;
  mediaType: string;
}

/**
 * Answers a request whose answer the response cache keeps without the fetch API, Yoga,
 * parsing or hashing: a look-up of the request's exact bytes, the store's look-up, and the
 * kept bytes written. It takes anonymous GETs and small JSON POSTs to the GraphQL endpoint
 * with an Accept it knows and no Origin (a browser's cross-origin request goes to Yoga, which
 * answers CORS); what it has not seen answered through Yoga, or is not kept now, goes to
 * Yoga. It learns which bytes make which key from the response cache, as Yoga parses them:
 * it never decides on its own what a request means, so it answers exactly what Yoga would.
 * Everything that applies to a request applies to its answers: the rate limit, the request
 * id, Server-Timing, the request log and the metrics, HTTP caching and 304s.
 */
export function createKeptAnswers(options: KeptAnswersOptions): KeptAnswers {
  const { store, flights, endpoint, now, logger, metrics, rateLimit } = options;
  // As many requests as the store keeps answers: more would point at answers it no longer has.
  const keys = new LRUCache<string, string>({ max: KEPT_ANSWERS_MAX });
  const passedOn = new WeakMap<IncomingMessage, string>();
  const joinedForYoga = new WeakMap<IncomingMessage, SharedAnswer>();
  // The bytes of an answer kept in this process, encoded once.
  const encoded = new WeakMap<KeptResponse, Buffer>();
  const bytesOf = (kept: KeptResponse) => {
    let bytes = encoded.get(kept);
    if (!bytes) {
      bytes = Buffer.from(kept.body);
      encoded.set(kept, bytes);
    }
    return bytes;
  };

  // A shared answer as the lane writes it, made once for all who waited for it: its bytes
  // (serialised once, see servedManyTimes), and no HTTP cache may keep it, as Yoga says to a
  // request that joined one in flight (no-store: only the lead's answer has a lifetime), so
  // it needs no ETag.
  const written = new WeakMap<SharedAnswer, KeptResponse>();
  const writtenOf = (shared: SharedAnswer): KeptResponse => {
    let kept = written.get(shared);
    if (!kept) {
      const { result } = shared;
      const body = (result as { stringify?: (result: ExecutionResult) => string }).stringify?.(result) ?? JSON.stringify(result);
      kept = { body, etag: '', name: shared.name, until: Number.NEGATIVE_INFINITY, publicUntil: Number.NEGATIVE_INFINITY };
      written.set(shared, kept);
    }
    return kept;
  };

  // The metrics' children, looked up once rather than by their labels on every answer.
  const hits = metrics.cacheEvents.labels({ cache: 'responses', event: 'hit' });
  const joins = metrics.cacheEvents.labels({ cache: 'responses', event: 'joined' });
  const durations = new Map<string, { observe(seconds: number): void }>();
  const observe = (method: string, status: number, seconds: number) => {
    const key = `${method} ${status}`;
    let child = durations.get(key);
    if (!child) {
      child = metrics.httpRequests.labels({ method, status: String(status), operation: status === 429 ? 'none' : 'query' });
      durations.set(key, child);
    }
    child.observe(seconds);
  };
  const clientOf = (req: IncomingMessage) =>
    anonymousClientKey(req.headers['x-forwarded-for'] as string | undefined, req.socket.remoteAddress, options.trustProxy);

  /**
   * Writes the kept or shared answer (a 304 to a client whose copy is current), or the refusal
   * of a spent rate limit. A GET's kept answer says for how long HTTP caches may keep it; a
   * shared one, that they may not (`no-store`), as Yoga's would.
   */
  const answer = (req: IncomingMessage, res: ServerResponse, asked: Asked, kept: KeptResponse, started: number, served: Counted, spent: BudgetState | null) => {
    const requestId = requestIdFrom(req.headers['x-request-id'] as string | undefined);
    const head: string[] = ['x-request-id', requestId];
    if (spent) head.push(...rateLimit!.headers(spent).flat());
    let status = 200;
    let body: Buffer | string | undefined;
    if (spent && !spent.granted) {
      status = 429;
      body = JSON.stringify({ errors: [rateLimit!.refusal(spent)] });
      head.push('content-type', `${refusalMediaType(req.headers.accept)}; charset=utf-8`, 'retry-after', String(spent.resetSeconds));
    } else {
      served.inc();
      if (req.method === 'GET') {
        const at = now();
        if (kept.publicUntil > at) {
          head.push('cache-control', publicCacheControl(kept.publicUntil, at), 'etag', kept.etag, 'vary', VARY);
          if (notModified(req.headers['if-none-match'], kept.etag)) status = 304;
        } else {
          head.push('cache-control', UNKEPT_ANSWER);
        }
      }
      if (status === 200) {
        body = bytesOf(kept);
        head.push('content-type', `${asked.mediaType}; charset=utf-8`);
      }
    }
    const totalMs = performance.now() - started;
    head.push('server-timing', totalTiming(totalMs), 'x-processing-time', processingTime(totalMs));
    if (body !== undefined) head.push('content-length', String(Buffer.byteLength(body)));
    res.writeHead(status, head);
    res.end(body);
    observe(req.method!, status, totalMs / 1000);
    if (logger.isLevelEnabled('info')) {
      logRequest(logger, 'info', {
        requestId,
        method: req.method!,
        path: endpoint,
        operationName: status === 429 ? null : kept.name,
        status,
        durationMs: millisecondsSince(started),
        errors: status === 429 ? 1 : 0,
        client: clientOf(req),
      });
    }
  };

  /** Spends the request's point of the rate limit, when there is one, then answers. */
  const respond = (req: IncomingMessage, res: ServerResponse, asked: Asked, kept: KeptResponse, started: number, served: Counted): unknown => {
    if (!rateLimit) return answer(req, res, asked, kept, started, served, null);
    return rateLimit
      .spend(clientOf(req))
      .then((spent) => answer(req, res, asked, kept, started, served, spent))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'kept answers: could not answer a request');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end();
      });
  };

  /**
   * Waits for the execution in flight and writes its answer; one with errors (whose status and
   * shape are Yoga's to decide) goes to Yoga with it, and without one (the lead failed first)
   * the request goes to Yoga as it came.
   */
  const join = (req: IncomingMessage, res: ServerResponse, next: NodeListener, asked: Asked, started: number, flight: Flight) => {
    // Counted as it begins to wait, as the response cache counts the requests that wait in Yoga.
    joins.inc();
    return flight.answer.then((shared) => {
      if (shared && !shared.result.errors?.length && !shared.result.extensions?.http)
        return respond(req, res, asked, writtenOf(shared), started, ALREADY_COUNTED);
      if (shared) joinedForYoga.set(req, shared);
      return next(req, res);
    });
  };

  /** Answers from the store when it keeps an answer for these bytes now, or with the answer of an identical request in flight; else passes the request on. */
  const serve = (req: IncomingMessage, res: ServerResponse, next: NodeListener, asked: Asked, started: number): unknown => {
    const key = keys.get(asked.raw);
    if (key === undefined) {
      passedOn.set(req, asked.raw);
      return next(req, res);
    }
    const decide = ({ kept, generation }: Lookup) => {
      if (kept && now() < kept.until) return respond(req, res, asked, kept, started, hits);
      const flight = flights?.joinable(key, generation);
      return flight ? join(req, res, next, asked, started, flight) : next(req, res);
    };
    const found = store.lookUp(key);
    return found instanceof Promise ? found.then(decide) : decide(found);
  };

  return {
    learn(key, serverContext) {
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      const raw = req && passedOn.get(req);
      if (raw === undefined) return;
      passedOn.delete(req!);
      keys.set(raw, key);
    },
    joinedEarlier(serverContext) {
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      const shared = req && joinedForYoga.get(req);
      if (shared) joinedForYoga.delete(req!);
      return shared;
    },
    listener(next) {
      return (req, res) => {
        const started = performance.now();
        const { method, url, headers } = req;
        const mediaType = MEDIA_TYPES.get(headers.accept);
        if (
          !mediaType ||
          !url?.startsWith(endpoint) ||
          headers.authorization !== undefined ||
          headers.origin !== undefined ||
          (method !== 'GET' && method !== 'POST')
        ) {
          return next(req, res);
        }
        if (method === 'GET') {
          return url.charCodeAt(endpoint.length) === 63 /* ? */ ? serve(req, res, next, { raw: `${mediaType} ${url}`, mediaType }, started) : next(req, res);
        }
        const length = Number(headers['content-length']);
        if (url.length !== endpoint.length || !JSON_BODY.test(headers['content-type'] ?? '') || !(length > 0 && length <= LANE_MAX_BODY_BYTES)) {
          return next(req, res);
        }
        return readBody(req, length).then(
          (text) => {
            // Read: Yoga's node adapter takes a body already read from here, as one from a framework.
            (req as IncomingMessage & { body?: string }).body = text;
            return serve(req, res, next, { raw: `${mediaType} POST ${text}`, mediaType }, started);
          },
          // The client went away while sending: nobody waits for an answer.
          () => res.destroy(),
        );
      };
    },
  };
}

/** The body of a request, of `length` bytes as its Content-Length says. */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let read = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      read += chunk.length;
    });
    req.once('end', () =>
      read === length ? resolve(chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()) : reject(new Error('short body')),
    );
    req.once('error', reject);
  });
}
