import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from './quantile.js';

export interface PacedLoadOptions {
  url: string;
  /** What each POST sends. */
  body: string;
  /** Requests per second, evenly spaced. */
  rate: number;
  /** Connections kept alive at most; a request finds one free, or waits for one (and that wait counts). */
  connections: number;
  /** Seconds at most. */
  durationS: number;
  /** Ends the round once it settles (its `durationS` is then only the longest it may take). */
  until?: Promise<unknown>;
}

export interface PacedLoadResult {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connection errors and non-2xx answers. */
  failures: number;
}

/**
 * Sends requests at a steady rate, one every 1/rate s, whether or not the earlier ones have
 * been answered, and measures each from when it was due: a server that stalls shows in every
 * request that was due meanwhile (no coordinated omission). autocannon's `overallRate` sends
 * each second's requests at once at the start of the second, so its latencies are those of a
 * burst, whose queue hides what a background task does to the requests between.
 */
export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  void options.until?.then(() => {
    stopped = true;
  });
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  try {
    for (let index = 0; !stopped && performance.now() - started < options.durationS * 1000; index += 1) {
      const due = started + index * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sent = send(agent, options.url, options.body).then(
        (ok) => {
          latencies.push(performance.now() - due);
          if (!ok) failures += 1;
        },
        () => {
          failures += 1;
        },
      );
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), maxMs: latencies.at(-1) ?? Number.NaN, failures };
}

/** One POST, read to its end; true for a 2xx. */
function send(agent: Agent, url: string, body: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode! >= 200 && res.statusCode! < 300));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
