// `npm run bench [-- --quick] [-- --only=a,b] [-- --servers=gatherql,mercurius] [-- --out=FILE]`
// Starts the Open-Meteo simulator in its own process, seeds one SQLite file, then for every
// scenario starts each server fresh on a copy of it, warms it up, measures it with
// autocannon on 127.0.0.1 and stops it. Writes BENCHMARKS.md (or --out) and the raw figures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seedBenchDatabase } from './harness/database.js';
import { machine } from './harness/machine.js';
import { freePort, startServer } from './harness/processes.js';
import { renderReport, type RunReport, type ScenarioRun } from './harness/report.js';
import { SERVERS } from './harness/servers.js';
import { simulatorClient } from './harness/simulator-client.js';
import { upstreamLatency } from './harness/upstream-latency.js';
import { SCENARIOS } from './scenarios/index.js';
import { type Durations, LATENCY } from './scenarios/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string' },
  },
});

const FULL: Durations = { warmS: 3, measureS: 10, coldRequests: 30, tailRequests: 300 };
const QUICK: Durations = { warmS: 1, measureS: 2, coldRequests: 10, tailRequests: 100 };
const durations = args.quick ? QUICK : FULL;
const scenarios = args.only ? SCENARIOS.filter((scenario) => args.only!.split(',').includes(scenario.id)) : SCENARIOS;
const servers = args.servers ? SERVERS.filter((server) => args.servers!.split(',').includes(server.name)) : SERVERS;

const started = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

const workDir = mkdtempSync(join(tmpdir(), 'gatherql-bench-'));
const [geocodingPort, forecastPort] = [await freePort(), await freePort()];
const geocodingUrl = `http://127.0.0.1:${geocodingPort}`;
const forecastUrl = `http://127.0.0.1:${forecastPort}`;
const simProcess = await startServer(
  'simulator',
  'bench/harness/simulator-process.ts',
  { GEOCODING_PORT: String(geocodingPort), FORECAST_PORT: String(forecastPort), SIM_SEED: '20260105' },
  { url: geocodingUrl, readyUrl: `${geocodingUrl}/__sim/calls` },
);
const sim = simulatorClient(geocodingUrl, forecastUrl);

let nextCity = 0;
const freshCity = () => `Sim ${(nextCity += 1)}`;

try {
  const seedFile = await seedBenchDatabase(workDir);
  await sim.reset(LATENCY);
  const upstream = await upstreamLatency(sim, freshCity);
  log(`upstream call: median ${upstream.medianMs.toFixed(1)} ms, p95 ${upstream.p95Ms.toFixed(1)} ms`);

  const runs: ScenarioRun[] = [];
  for (const scenario of scenarios) {
    const run: ScenarioRun = { scenario, rows: [] };
    runs.push(run);
    for (const spec of servers) {
      await sim.reset(scenario.faults);
      const server = await spec.start({ sim, seedFile, workDir });
      try {
        const values = await scenario.measure(server, { sim, durations, freshCity, upstreamMedianMs: upstream.medianMs });
        run.rows.push({ server: spec.name, values, rssMiB: server.peakRssMiB() });
        log(`(${scenario.id}) ${spec.name}: ${JSON.stringify(values)} rss ${server.peakRssMiB()} MiB`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        run.rows.push({ server: spec.name, values: {}, rssMiB: server.peakRssMiB(), error: message.slice(0, 300) });
        log(`(${scenario.id}) ${spec.name} FAILED: ${message}`);
      } finally {
        await server.stop();
      }
    }
  }

  const report: RunReport = {
    date: new Date().toISOString(),
    quick: args.quick,
    machine: machine(),
    durations,
    servers,
    upstream,
    scenarios: runs,
    elapsedS: (performance.now() - started) / 1000,
  };
  const out = args.out ?? join(root, 'BENCHMARKS.md');
  writeFileSync(out, renderReport(report));
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results', args.quick ? 'quick.json' : 'full.json'), `${JSON.stringify(report, replacer, 2)}\n`);
  log(`wrote ${out} in ${report.elapsedS.toFixed(0)} s`);
} finally {
  await simProcess.stop();
  rmSync(workDir, { recursive: true, force: true });
}

/** Scenario objects carry functions; the raw figures need only their ids. */
function replacer(key: string, value: unknown) {
  if (key === 'scenario' && value && typeof value === 'object' && 'id' in value) return (value as { id: string }).id;
  if (key === 'servers' && Array.isArray(value)) return value.map((spec: { name: string }) => spec.name);
  return value;
}
