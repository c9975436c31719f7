import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATENCY } from '../scenarios/types.js';
import { seedBenchDatabase } from './database.js';
import { freePort, startServer } from './processes.js';
import { type SimulatorClient, simulatorClient } from './simulator-client.js';
import { type UpstreamLatency, upstreamLatency } from './upstream-latency.js';

/** What every measurement of a run shares: the simulator, the seeded file, the source of new names. */
export interface BenchEnvironment {
  sim: SimulatorClient;
  seedFile: string;
  workDir: string;
  /** A city name no server has seen in this run (`Sim <n>`). */
  freshCity(): string;
  /** One upstream call at the default latency, measured from the harness. */
  upstream: UpstreamLatency;
  close(): Promise<void>;
}

/** Starts the simulator in a process of its own, seeds the SQLite file and measures one upstream call. */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const workDir = mkdtempSync(join(tmpdir(), 'gatherql-bench-'));
  const ports = { GEOCODING_PORT: await freePort(), FORECAST_PORT: await freePort(), AIR_QUALITY_PORT: await freePort(), COUNTRIES_PORT: await freePort() };
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const urls = {
    geocodingUrl: url(ports.GEOCODING_PORT),
    forecastUrl: url(ports.FORECAST_PORT),
    airQualityUrl: url(ports.AIR_QUALITY_PORT),
    countriesUrl: url(ports.COUNTRIES_PORT),
  };
  const simProcess = await startServer(
    'simulator',
    'bench/harness/simulator-process.ts',
    // A fixed seed: every run draws the same sequence of slow calls.
    { ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), SIM_SEED: '20260105' },
    { url: urls.geocodingUrl, readyUrl: `${urls.geocodingUrl}/__sim/calls` },
  );
  const close = async () => {
    await simProcess.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const sim = simulatorClient(urls);
    let nextCity = 0;
    const freshCity = () => {
      nextCity += 1;
      return `Sim ${nextCity}`;
    };
    const seedFile = await seedBenchDatabase(workDir);
    await sim.reset(LATENCY);
    const upstream = await upstreamLatency(sim, freshCity);
    return { sim, seedFile, workDir, freshCity, upstream, close };
  } catch (error) {
    await close();
    throw error;
  }
}
