import autocannon, { type Options } from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  requests: number;
  /** Requests sent, answered or not when the round ended. */
  sent: number;
  /** Connection errors, timeouts and non-2xx answers together. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  /** What each POST sends; null for GETs of `url`. */
  body: string | ((index: number) => string) | null;
  connections: number;
  /** Seconds, or a request count with `amount`. */
  duration?: number;
  amount?: number;
  /** Requests per second from all connections together; as fast as answers come when absent. */
  overallRate?: number;
  /** Sees every answer's status and body (for answers whose content is counted). */
  onResponse?: (status: number, body: string) => void;
  /** Ends the round once it settles (its `duration` is then only the longest it may take). */
  until?: Promise<unknown>;
}

/** Drives a server with autocannon, no pipelining (so latencies are per request). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const get = options.body === null;
  const base: Options = {
    url: options.url,
    method: get ? 'GET' : 'POST',
    headers: get ? {} : { 'content-type': 'application/json' },
    connections: options.connections,
    pipelining: 1,
    timeout: 20,
    ...(options.overallRate && { overallRate: options.overallRate }),
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
  };
  let index = 0;
  const { body, onResponse } = options;
  const running = autocannon(
    (typeof body === 'string' || body === null) && !onResponse
      ? { ...base, ...(body !== null && { body }) }
      : {
          ...base,
          requests: [
            {
              setupRequest: (request) => (body === null ? request : { ...request, body: typeof body === 'string' ? body : body(index++) }),
              ...(onResponse && { onResponse: (status: number, text: string) => onResponse(status, text) }),
            },
          ],
        },
  );
  // The promise autocannon answers is its instance too (lib/init.js), whose stop() ends the round.
  void options.until?.then(() => (running as typeof running & { stop(): void }).stop());
  const result = await running;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    maxMs: result.latency.max,
    requests: result.requests.total,
    sent: result.requests.sent,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
