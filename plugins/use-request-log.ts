import { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin, type YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ClientKeyFn } from '../limits/client-key.js';
import { expectedError, masksAsInternal } from '../responses/mask-error.js';
import { requestIdOf } from './use-request-id.js';
import { operationOf, operationsOf, type SocketOperation, socketOperationOf } from '../operation-facts.js';
import { requestSlot } from '../request-slots.js';

export interface RequestLogOptions {
  /** Where the lines go. */
  logger: Logger;
  /** Names the client of a request (`user:<id>`, `ip:<address>`); without it lines have no `client`. */
  clientKey?: ClientKeyFn;
  /** Paths logged at debug rather than info: probes and scrapes would drown the log. Default `/health`, `/ready`, `/metrics`. */
  quietPaths?: string[];
}

interface Entry {
  start: number;
  errors: number;
  /** False when a plugin answered before Yoga made a GraphQL result (a 429, say). */
  processed: boolean;
  /** An answer sent in parts (@defer, @stream): its line waits for the last part. */
  stream?: PartsSent;
}

interface PartsSent {
  parts: number;
  /** Milliseconds from the request to the response, which goes out with the first part. */
  firstPartMs?: number;
  ended: boolean;
  /** Writes the line; set by the response hook when the parts were still going. */
  writeWhenEnded?: () => void;
}

const entries = requestSlot<Entry>('log entry');

/**
 * One line per request: request id, method, path, operation name, status, duration, number
 * of GraphQL errors and client; for an answer in parts (@defer, @stream), written after its
 * last part, also `parts` and `firstPartMs`. Deliberately nothing else from the request: never
 * headers (Authorization), never variables (passwords, tokens), never the query text.
 */
export function useRequestLog(options: RequestLogOptions): Plugin {
  const quiet = new Set(options.quietPaths ?? ['/health', '/ready', '/metrics']);
  return {
    // Not onRequest: Yoga's own plugins end some responses (health check, GraphiQL) before it runs.
    instrumentation: {
      request({ request }, handle) {
        entries.set(request, { start: performance.now(), errors: 0, processed: false });
        return handle();
      },
    },
    // Before Yoga masks them (its masking plugin comes after ours): the originals, with the request at hand.
    onExecute({ args }) {
      const context = args.contextValue as { request?: Request };
      const socket = socketOperationOf(context);
      return {
        onExecuteDone({ result }) {
          if (socket) return isAsyncIterable(result) ? followSocketParts(context, socket) : writeSocketLine(context, socket, result.errors ?? []);
          if (!context.request) return;
          if (isAsyncIterable(result)) return followParts(context.request);
          logUnexpectedErrors(result.errors, requestIdOf(context.request));
        },
      };
    },
    // A subscription's events are its parts: the line is written after the last.
    onSubscribe({ args }) {
      const context = args.contextValue as { request?: Request };
      const socket = socketOperationOf(context);
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            if (socket) writeSocketLine(context, socket, result.errors ?? []);
            else if (context.request) logUnexpectedErrors(result.errors, requestIdOf(context.request));
            return;
          }
          return socket ? followSocketParts(context, socket) : context.request && followParts(context.request);
        },
      };
    },
    onResultProcess({ request, result }) {
      const entry = entries.get(request);
      if (!entry) return;
      entry.processed = true;
      entry.errors += countErrors(result);
    },
    // Synchronous when there is nothing to write: a hook that returns a promise makes Yoga wait a turn.
    onResponse({ request, response, serverContext }) {
      const entry = entries.get(request);
      // Nothing to write at this level (debug implies info): skip the work of the line, even the URL.
      if (!entry || !options.logger.isLevelEnabled('info')) return;
      const url = new URL(request.url, 'http://localhost');
      const level = quiet.has(url.pathname) ? 'debug' : 'info';
      if (!options.logger.isLevelEnabled(level)) return;
      const { stream } = entry;
      if (stream && !stream.ended) {
        // The response goes out with the first part; the line tells of the whole answer.
        stream.firstPartMs = elapsed(entry);
        stream.writeWhenEnded = () => void writeLine(entry, url, level, request, response, serverContext);
        return;
      }
      return writeLine(entry, url, level, request, response, serverContext);
    },
  };

  function logUnexpectedErrors(errors: readonly unknown[] | undefined, requestId: string) {
    for (const error of errors ?? []) {
      if (masksAsInternal(error)) logUnexpectedError(options.logger, error, requestId);
    }
  }

  /** Counts the errors of each part as it is sent, and writes the line after the last (or when the client left). */
  function followParts(request: Request) {
    const entry = entries.get(request);
    if (!entry) return;
    const stream: PartsSent = { parts: 0, ended: false };
    entry.stream = stream;
    return {
      onNext({ result }: { result: Part }) {
        stream.parts += 1;
        const errors = errorsOf(result);
        entry.errors += errors.length;
        logUnexpectedErrors(errors, requestIdOf(request));
      },
      onEnd() {
        stream.ended = true;
        stream.writeWhenEnded?.();
      },
    };
  }

  /** The same for an operation that came over a WebSocket: its line is its own, written when it ends. */
  function followSocketParts(context: object, socket: SocketOperation) {
    let parts = 0;
    const errors: unknown[] = [];
    return {
      onNext({ result }: { result: Part }) {
        parts += 1;
        const own = errorsOf(result);
        errors.push(...own);
        logUnexpectedErrors(own, socket.requestId);
      },
      onEnd: () => void writeSocketLine(context, socket, errors, parts),
    };
  }

  /**
   * The line of an operation that came over a WebSocket: no method, path or status (the
   * connection has those), `transport: "websocket"` instead, and for a stream its parts.
   */
  async function writeSocketLine(context: object, socket: SocketOperation, errors: readonly unknown[], parts?: number) {
    if (parts === undefined) logUnexpectedErrors(errors, socket.requestId);
    if (!options.logger.isLevelEnabled('info')) return;
    const clientKey = (context as { clientKey?: () => Promise<string> }).clientKey;
    const client = clientKey ? await clientKey().catch(() => undefined) : undefined;
    const line = {
      requestId: socket.requestId,
      transport: 'websocket',
      operationName: operationOf(context)?.name ?? null,
      durationMs: millisecondsSince(socket.startedAt),
      errors: errors.length,
      client,
      ...(parts !== undefined && { parts }),
    };
    options.logger.info(line, 'request');
  }

  async function writeLine(entry: Entry, url: URL, level: 'debug' | 'info', request: Request, response: Response, serverContext: unknown) {
    if (!entry.processed && response.status >= 400) entry.errors += await countErrorsInBody(response);
    const client = options.clientKey ? await options.clientKey(request, serverContext).catch(() => undefined) : undefined;
    logRequest(options.logger, level, {
      requestId: requestIdOf(request),
      method: request.method,
      path: url.pathname,
      operationName: operationNames(request),
      status: response.status,
      durationMs: elapsed(entry),
      errors: entry.errors,
      client,
      ...(entry.stream && { parts: entry.stream.parts, firstPartMs: entry.stream.firstPartMs }),
    });
  }
}

/** The line of one request (see useRequestLog). */
export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  /** The operation's name; names joined by commas for a batch; null for an anonymous one. */
  operationName: string | null;
  status: number;
  durationMs: number;
  errors: number;
  client: string | undefined;
  /** For an answer in parts: how many, and when the first went. */
  parts?: number;
  firstPartMs?: number | undefined;
}

/** Writes a request's line: for whoever answers a request without Yoga too (the lane of kept answers). */
export function logRequest(logger: Logger, level: 'debug' | 'info', line: RequestLine): void {
  logger[level](line, 'request');
}

/** Milliseconds since `start` (performance.now()), to two decimals, as the request log says them. */
export function millisecondsSince(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** One payload of an answer in parts: the first with `errors` of its own, later ones per `incremental` entry. */
interface Part {
  errors?: readonly unknown[];
  incremental?: readonly { errors?: readonly unknown[] }[];
}

const errorsOf = (part: Part) => [...(part.errors ?? []), ...(part.incremental ?? []).flatMap((each) => each.errors ?? [])];

/** The names of a request's operations: one, null for an anonymous one; several joined by commas. */
function operationNames(request: Request): string | null {
  const names = operationsOf(request).map((operation) => operation.name);
  return names.length <= 1 ? (names[0] ?? null) : names.map((name) => name ?? 'anonymous').join(',');
}

const elapsed = (entry: Entry) => millisecondsSince(entry.start);

function countErrors(result: unknown): number {
  let count = 0;
  for (const single of Array.isArray(result) ? result : [result]) {
    if (single && typeof single === 'object' && 'errors' in single && Array.isArray(single.errors)) count += single.errors.length;
  }
  return count;
}

/** The GraphQL errors in a small JSON error response that a plugin wrote itself, such as a 429. */
async function countErrorsInBody(response: Response): Promise<number> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (!/json/.test(response.headers.get('content-type') ?? '') || length > 64 * 1024) return 0;
  try {
    return countErrors(await response.clone().json());
  } catch {
    return 0;
  }
}

// Errors logged with their request already; Yoga's logger hands them over again and must skip them.
const reported = new WeakSet<object>();

/** Where a GraphQL error happened, and the error the code actually threw, with its message. */
function origin(error: object): { path: string | undefined; original: unknown; message: string } {
  const graphql = error instanceof GraphQLError;
  const original = graphql ? (error.originalError ?? error) : error;
  return { path: graphql ? error.path?.join('.') : undefined, original, message: original instanceof Error ? original.message : String(original) };
}

/**
 * Logs an error that the client sees only masked (INTERNAL_SERVER_ERROR): once, at error
 * level, with its original stack and the id of the request it broke. The request log calls it
 * for errors of execution; the gateway for a context that could not be built.
 */
export function logUnexpectedError(logger: Logger, error: unknown, requestId: string | undefined): void {
  if (typeof error !== 'object' || error === null || reported.has(error)) return;
  reported.add(error);
  const { path, original, message } = origin(error);
  logger.error({ requestId, path, err: original }, `unexpected error: ${message}`);
}

/**
 * Yoga's logger, onto pino. Yoga hands its `error` every error that masking changed. Those
 * of a request were logged with its id already (logUnexpectedError); any other unexpected
 * one is logged here once, with its stack; one raised on purpose only at debug.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  const text = (args: unknown[]) => args.map(String).join(' ');
  return {
    debug: (...args) => logger.debug(text(args)),
    info: (...args) => logger.info(text(args)),
    warn: (...args) => logger.warn(text(args)),
    error: (...args) => {
      for (const arg of args) {
        if (!(arg instanceof Error)) {
          logger.error(String(arg));
          continue;
        }
        if (reported.has(arg)) continue;
        const expected = expectedError(arg);
        if (!expected) {
          logUnexpectedError(logger, arg, undefined);
          continue;
        }
        reported.add(arg);
        const { path, message } = origin(arg);
        logger.debug({ path, code: expected.extensions.code }, message);
      }
    },
  };
}
