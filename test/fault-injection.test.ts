import { describe, it } from 'vitest';
import type { FaultRule } from '../simulator/faults.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { outcomes, type WeatherItem } from './helpers/weather.js';

// Faults against a real gateway process with the production upstream policy (retries,
// budget, per-host breaker: at least 10 calls, more than half failed, 5 s open), only a
// shorter attempt timeout. Each fault gets its own simulator and gateway, all at once: the
// 5 s that an open circuit waits is the same for everyone.

const TIMEOUT_MS = 1000;
const names = SIM_CITIES.map((city) => city.name);
/** Enough distinct cities, called at once, to reach the breaker's volume threshold of 10. */
const STORM = names.slice(1, 13);
const LATER = names.slice(13, 17);

interface Scenario {
  name: string;
  rules: FaultRule[];
  /** What every city of the storm answers before the circuit opens. */
  code: string;
}

const scenarios: Scenario[] = [
  { name: 'a hang', rules: [{ endpoint: 'geocoding', fault: { kind: 'hang' } }], code: 'UPSTREAM_TIMEOUT' },
  { name: 'a connection reset', rules: [{ endpoint: 'geocoding', fault: { kind: 'reset' } }], code: 'UPSTREAM_UNAVAILABLE' },
  // 8 bytes every 100 ms: a geocoding body takes seconds, the attempt has one.
  { name: 'a slow drip of the body', rules: [{ endpoint: 'geocoding', fault: { kind: 'slow-drip', chunkIntervalMs: 100 } }], code: 'UPSTREAM_TIMEOUT' },
  {
    name: 'garbage (cut-off JSON, then wrong field types)',
    rules: [
      { endpoint: 'geocoding', times: 6, fault: { kind: 'malformed-json' } },
      { endpoint: 'geocoding', fault: { kind: 'wrong-types' } },
    ],
    code: 'UPSTREAM_BAD_RESPONSE',
  },
  { name: 'a 429 storm with Retry-After', rules: [{ endpoint: 'geocoding', fault: { kind: 'status', status: 429, retryAfterS: 1 } }], code: 'RATE_LIMITED' },
];

const QUERY = `query ($cities: [String!]!) {
  weather(cities: $cities) { __typename ... on CityWeather { city } ... on WeatherError { city code message } }
}`;

async function weather(server: ServerProcess, cities: string[]): Promise<WeatherItem[]> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables: { cities } }),
  });
  const body = (await response.json()) as { data?: { weather: WeatherItem[] }; errors?: unknown };
  if (response.status !== 200 || body.errors) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body.data!.weather;
}

/** Resolves once the gateway has logged a line matching `pattern`. */
async function logged(server: ServerProcess, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(server.stdout())) {
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${server.stdout().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('upstream faults against a gateway process', () => {
  it.concurrent.for(scenarios)(
    '$name: the right code per city, the circuit opens, fails fast, and closes after the upstream recovers',
    { timeout: 180_000 },
    async ({ rules, code }, { expect }) => {
      const sim = await startSimulator();
      let server: ServerProcess | undefined;
      try {
        server = await startServerProcess({
          DATABASE_URL: ':memory:',
          AUTH_SECRET: TEST_AUTH_SECRET,
          RATE_LIMIT_PER_MINUTE: '0',
          UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
          OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
          OPEN_METEO_FORECAST_URL: sim.forecastUrl,
        });
        const circuit = (state: string) => new RegExp(`"msg":"upstream circuit ${state}: geocoding \\(`);
        expect(outcomes(await weather(server, [names[0]!]))).toEqual([`${names[0]}: ok`]);

        // The storm: every city gets the fault's own code, and the failures open the circuit.
        sim.setFaults(rules);
        expect(outcomes(await weather(server, STORM))).toEqual(STORM.map((city) => `${city}: ${code}`));
        await logged(server, circuit('open'));

        // Open: no call leaves the gateway, so no request waits for one.
        sim.resetCalls();
        const open = await weather(server, LATER);
        expect(outcomes(open)).toEqual(LATER.map((city) => `${city}: UPSTREAM_UNAVAILABLE`));
        expect(open[0]!.message).toMatch(/not calling it for a while/);
        expect(sim.calls().geocoding).toBe(0);

        // The upstream recovers. After the open period one probe goes out; it succeeds and
        // closes the circuit, and then every city is answered again.
        sim.resetFaults();
        await logged(server, circuit('halfOpen'));
        sim.resetCalls();
        expect(outcomes(await weather(server, LATER))).toEqual([`${LATER[0]}: ok`, ...LATER.slice(1).map((city) => `${city}: UPSTREAM_UNAVAILABLE`)]);
        expect(sim.calls().geocoding).toBe(1);
        await logged(server, circuit('closed'));
        expect(outcomes(await weather(server, [...LATER, ...STORM]))).toEqual([...LATER, ...STORM].map((city) => `${city}: ok`));

        // Only the faulty host's circuit ever opened, and the process is still the one we started.
        expect(server.stdout()).not.toMatch(/upstream circuit open: forecast/);
        expect(server.child.exitCode).toBeNull();
        expect(await server.stop('SIGTERM')).toBe(0);
      } finally {
        server?.child.kill('SIGKILL');
        await sim.close();
      }
    },
  );
});
