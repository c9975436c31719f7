import { quantile } from './quantile.js';
import type { SimulatorClient } from './simulator-client.js';

export interface UpstreamLatency {
  medianMs: number;
  p95Ms: number;
  /**
   * gatherql hedges a call after the p97 of its source's recent latencies; this is the same
   * percentile of the harness's own samples, its view of that delay from outside the gateway.
   */
  p97Ms: number;
  samples: number;
}

/** The percentiles of some latencies. */
export function summarise(times: number[]): UpstreamLatency {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95), p97Ms: quantile(sorted, 0.97), samples: sorted.length };
}

/**
 * Sequential keep-alive geocoding calls for new names against the simulator at its current
 * faults, measured from outside any server: `samples` of them, or as many as fit until `stop`
 * aborts (then at least one). The first calls open the connection and warm the code paths, and
 * are left out.
 */
export async function sampleUpstream(sim: SimulatorClient, freshCity: () => string, options: { samples?: number; stop?: AbortSignal } = {}): Promise<number[]> {
  const times: number[] = [];
  const limit = options.samples ?? Number.POSITIVE_INFINITY;
  for (let call = 0; times.length < limit && (call < 4 || !options.stop?.aborted); call += 1) {
    const started = performance.now();
    const response = await fetch(`${sim.geocodingUrl}/v1/search?name=${encodeURIComponent(freshCity())}&count=1`);
    await response.json();
    if (call >= 3) times.push(performance.now() - started);
  }
  return times;
}

/** What one upstream call costs here at the simulator's current faults, with the machine otherwise idle. */
export async function upstreamLatency(sim: SimulatorClient, freshCity: () => string, samples = 60): Promise<UpstreamLatency> {
  return summarise(await sampleUpstream(sim, freshCity, { samples }));
}
