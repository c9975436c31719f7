// Fan-out measurement: `npx tsx bench/weather-fanout.ts [runs]`.
// 20 cold cities against the local simulator with 300 ms on every upstream call. Two round
// trips (geocoding in parallel, then one batched forecast) make 600 ms the ideal; one city
// after another would take 20 x 2 x 300 ms = 12 s. Each run uses a fresh gateway, so every
// cache is cold; the process is warmed by one run first, which is not counted.
import { loadConfig } from '../config.js';
import { createGateway } from '../gateway.js';
import { LOCATION_BATCH_CAP } from '../sources/open-meteo/service.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { startSimulator } from '../simulator/simulator.js';

const LATENCY_MS = 300;
const CITIES = SIM_CITIES.slice(0, 20).map((city) => city.name);
const IDEAL_MS = 2 * LATENCY_MS;
const SERIAL_MS = CITIES.length * 2 * LATENCY_MS;
const runs = Number(process.argv[2] ?? 5);

const sim = await startSimulator({ faults: [{ fault: { kind: 'latency', ms: LATENCY_MS } }] });

async function oneRun(): Promise<{ ms: number; geocoding: number; forecast: number }> {
  const config = loadConfig({
    DATABASE_URL: ':memory:',
    LOG_LEVEL: 'silent',
    OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
    OPEN_METEO_FORECAST_URL: sim.forecastUrl,
    OPEN_METEO_QUOTA: 'off',
  });
  const gateway = await createGateway(config);
  sim.resetCalls();
  try {
    const started = performance.now();
    const response = await gateway.yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ($cities: [String!]!) { weather(cities: $cities) { __typename } }',
        variables: { cities: CITIES },
      }),
    });
    const body = (await response.json()) as { data?: { weather: { __typename: string }[] } };
    const ms = performance.now() - started;
    const ok = body.data?.weather.filter((item) => item.__typename === 'CityWeather').length ?? 0;
    if (ok !== CITIES.length) throw new Error(`expected ${CITIES.length} cities with weather, got ${ok}: ${JSON.stringify(body)}`);
    const { geocoding, forecast } = sim.calls();
    return { ms, geocoding, forecast };
  } finally {
    await gateway.close();
  }
}

await oneRun();
const results = [];
for (let run = 0; run < runs; run += 1) results.push(await oneRun());
await sim.close();

const times = results.map((result) => result.ms).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(`weather fan-out: ${CITIES.length} cold cities, ${LATENCY_MS} ms per upstream call, forecast batch cap ${LOCATION_BATCH_CAP}`);
console.log(`upstream calls per run: ${results[0]!.geocoding} geocoding, ${results[0]!.forecast} forecast`);
console.log(`wall time per run (ms): ${results.map((result) => result.ms.toFixed(0)).join(', ')}`);
console.log(
  `median ${median.toFixed(0)} ms = ${(median / IDEAL_MS).toFixed(2)} x the two-round-trip ideal (${IDEAL_MS} ms); target < ${(1.3 * IDEAL_MS).toFixed(0)} ms`,
);
console.log(`serial would take ${SERIAL_MS} ms: ${(SERIAL_MS / median).toFixed(1)} x slower`);
if (median >= 1.3 * IDEAL_MS) process.exitCode = 1;
