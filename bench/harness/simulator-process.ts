// The upstream simulator in a process of its own, so that it never shares an event loop
// with the load generator or a server under test. Env: GEOCODING_PORT, FORECAST_PORT,
// AIR_QUALITY_PORT, COUNTRIES_PORT, and SIM_SEED for the fault probabilities (the same seed draws the same sequence of slow calls).
// Answers synthetic `Sim <n>` names, for scenarios that need cities no cache has seen.
import { startSimulator } from '../../simulator/simulator.js';

/** mulberry32: a tiny seeded generator, enough to make the share of slow calls repeatable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sim = await startSimulator({
  geocodingPort: Number(process.env.GEOCODING_PORT ?? 0),
  forecastPort: Number(process.env.FORECAST_PORT ?? 0),
  airQualityPort: Number(process.env.AIR_QUALITY_PORT ?? 0),
  countriesPort: Number(process.env.COUNTRIES_PORT ?? 0),
  random: seeded(Number(process.env.SIM_SEED ?? 1)),
  syntheticNames: true,
});
console.log(
  JSON.stringify({
    simulator: true,
    geocodingUrl: sim.geocodingUrl,
    forecastUrl: sim.forecastUrl,
    airQualityUrl: sim.airQualityUrl,
    countriesUrl: sim.countriesUrl,
  }),
);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
