import type { Plugin } from 'graphql-yoga';
import { requestSlot } from '../request-slots.js';

/** Work whose time a response reports besides the total: SQL statements and upstream HTTP calls. */
export type TimingKind = 'db' | 'upstream';

/** Adds `ms` of one statement or one upstream attempt to a response's Server-Timing. */
export type RecordTiming = (kind: TimingKind, ms: number) => void;

export interface ServerTimingOptions {
  /** Header with the total in seconds, e.g. `0.0123s`. Default `X-Processing-Time`. */
  processingTimeHeader?: string;
}

interface Timings {
  start: number;
  db: { ms: number; count: number };
  upstream: { ms: number; count: number };
}

const timings = requestSlot<Timings>('timings');

/**
 * Where the work done for `request` is added up: the gateway hands it to the request's
 * context, which reports every SQL statement and every upstream attempt made on the
 * request's behalf. Concurrent calls add up, so `upstream` is the summed time of the
 * attempts, which exceeds wall time when they overlap. Records nothing for a request this
 * plugin does not time.
 */
export function timingOf(request: Request): RecordTiming {
  return (kind, ms) => {
    const entry = timings.get(request);
    if (!entry || !Number.isFinite(ms) || ms < 0) return;
    entry[kind].ms += ms;
    entry[kind].count += 1;
  };
}

/** `X-Processing-Time` of a response that took `totalMs`, e.g. `0.0123s`. */
export function processingTime(totalMs: number): string {
  return `${(totalMs / 1000).toFixed(4)}s`;
}

/** The `total` metric of Server-Timing, e.g. `total;dur=12.30`. */
export function totalTiming(totalMs: number): string {
  return `total;dur=${totalMs.toFixed(2)}`;
}

const descriptions = { db: (n: number) => `${n} SQL statement${n === 1 ? '' : 's'}`, upstream: (n: number) => `${n} upstream call${n === 1 ? '' : 's'}` };

/** True for an answer sent in parts, as `multipart/mixed` or server-sent events. */
function streamed(response: Response): boolean {
  return /^(multipart\/mixed|text\/event-stream)\b/.test(response.headers.get('content-type') ?? '');
}

/**
 * Times every response: `Server-Timing: db;dur=…, upstream;dur=…, total;dur=…` (db and
 * upstream only when the request did such work) and `X-Processing-Time: 0.0123s`. The total
 * runs from the arrival of the request to the response hooks, so it excludes sending the body,
 * and for an answer in parts everything after the first part (its desc says so).
 */
export function useServerTiming(options: ServerTimingOptions = {}): Plugin {
  const processingTimeHeader = options.processingTimeHeader ?? 'X-Processing-Time';
  return {
    // The earliest hook there is: onRequest would miss responses that Yoga's own plugins
    // (health check, GraphiQL, CORS preflight) end before ours run.
    instrumentation: {
      request({ request }, handle) {
        timings.set(request, { start: performance.now(), db: { ms: 0, count: 0 }, upstream: { ms: 0, count: 0 } });
        return handle();
      },
    },
    onResponse({ request, response }) {
      const entry = timings.get(request);
      if (!entry) return;
      const total = performance.now() - entry.start;
      const metrics: string[] = [];
      for (const kind of ['db', 'upstream'] as const) {
        const { ms, count } = entry[kind];
        if (count > 0) metrics.push(`${kind};dur=${ms.toFixed(2)};desc="${descriptions[kind](count)}"`);
      }
      // An answer in parts (@defer, @stream) sends its headers with the first part: the
      // figures are those of the work done by then, and the total is the time to that part.
      metrics.push(streamed(response) ? `${totalTiming(total)};desc="until the first part"` : totalTiming(total));
      response.headers.append('Server-Timing', metrics.join(', '));
      response.headers.set(processingTimeHeader, processingTime(total));
    },
  };
}
