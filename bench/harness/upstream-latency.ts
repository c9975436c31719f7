import type { SimulatorClient } from './simulator-client.js';

export interface UpstreamLatency {
  medianMs: number;
  p95Ms: number;
  samples: number;
}

/**
 * What one upstream call costs here, measured from outside any server: sequential keep-alive
 * geocoding calls for new names against the simulator at its current faults.
 */
export async function upstreamLatency(sim: SimulatorClient, freshCity: () => string, samples = 30): Promise<UpstreamLatency> {
  const times: number[] = [];
  for (let call = 0; call < samples + 3; call += 1) {
    const started = performance.now();
    const response = await fetch(`${sim.geocodingUrl}/v1/search?name=${encodeURIComponent(freshCity())}&count=1`);
    await response.json();
    // The first calls open the connection and warm the code paths.
    if (call >= 3) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (share: number) => times[Math.min(times.length - 1, Math.floor(share * times.length))]!;
  return { medianMs: at(0.5), p95Ms: at(0.95), samples };
}
