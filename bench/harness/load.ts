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
  body: string | ((index: number) => string);
  connections: number;
  /** Seconds, or a request count with `amount`. */
  duration?: number;
  amount?: number;
}

/** Drives a server with autocannon, no pipelining (so latencies are per request). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const base: Options = {
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: options.connections,
    pipelining: 1,
    timeout: 20,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
  };
  let index = 0;
  const body = options.body;
  const result = await autocannon(
    typeof body === 'string'
      ? { ...base, body }
      : {
          ...base,
          requests: [
            {
              setupRequest: (request) => ({ ...request, body: body(index++) }),
            },
          ],
        },
  );
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
