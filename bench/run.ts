// `npm run bench [-- --quick] [-- --ab [--rounds=3] [--match=WORD]] [-- --render] [-- --only=a,b] [-- --servers=gatherql,mercurius] [-- --out=FILE] [-- --node=PATH]`
// Starts the Open-Meteo simulator in its own process, seeds one SQLite file, then for every
// scenario starts each server fresh on a copy of it, warms it up, measures it with
// autocannon on 127.0.0.1 and stops it. Writes BENCHMARKS.md (or --out) and the raw figures
// in bench/results/. With --ab it runs the A/B experiments of bench/experiments.ts instead,
// whose results the next BENCHMARKS.md includes; with --match only the experiments whose name
// contains WORD, written to bench/results/ab-WORD.json and shown after the full run's table. With --render it only writes BENCHMARKS.md
// again from the committed figures (bench/results/full.json), the A/B results and the findings.
// A quick run leaves out the scenarios marked fullRunOnly (the scale-out set-ups of (j)) unless --only names them.
// --node=PATH (a node binary; repeat it, or list several with commas) measures the scenarios of
// RUNTIME_SCENARIOS again with every server on each Node: the harness's own and each named one.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXPERIMENTS } from './experiments.js';
import { type AbReport, renderExperiments, runExperiments } from './harness/ab.js';
import { startBenchEnvironment } from './harness/environment.js';
import { machine } from './harness/machine.js';
import { measureOnce } from './harness/measure.js';
import { renderReport, type RunReport } from './harness/report.js';
import type { RuntimeRun, ScenarioRun, ServerRow } from './harness/run-types.js';
import { OWN_RUNTIME, prepareRuntime, type Runtime } from './harness/runtimes.js';
import type { ServerSpec } from './harness/server-spec.js';
import { SERVERS } from './harness/servers.js';
import { SCENARIOS } from './scenarios/index.js';
import type { Durations, Scenario } from './scenarios/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const results = join(root, 'bench/results');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ab: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    match: { type: 'string' },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string' },
    node: { type: 'string', multiple: true },
  },
});

/** The executed and the cached paths, each with gatherql's rows and every peer: measured on every Node that --node adds. */
const RUNTIME_SCENARIOS = ['a', 'b'];

const FULL: Durations = { warmS: 2, measureS: 6, coldRequests: 30, tailRequests: 500, tailWarmUp: 60, burstWarmUps: 2, freshnessS: 16 };
const QUICK: Durations = { warmS: 0.5, measureS: 1.5, coldRequests: 8, tailRequests: 50, tailWarmUp: 10, burstWarmUps: 1, freshnessS: 6 };
const durations = args.quick ? QUICK : FULL;
const wanted = (list: string | undefined, name: string) => !list || list.split(',').includes(name);

/** The sections after the scenario tables: the latest A/B results (the full run's, then each partial one) and the findings. */
function extraSections(): string[] {
  const abFiles = [
    'ab.json',
    ...readdirSync(results)
      .filter((name) => /^ab-[\w-]+\.json$/.test(name))
      .sort(),
  ].map((name) => join(results, name));
  const extra = abFiles.filter((file) => existsSync(file)).map((file) => renderExperiments(JSON.parse(readFileSync(file, 'utf8')) as AbReport));
  const findings = join(root, 'bench/findings.md');
  if (existsSync(findings)) extra.push(readFileSync(findings, 'utf8'));
  return extra;
}

if (args.render) {
  // The raw figures name scenarios and servers by id; the report needs their descriptions back.
  const raw = JSON.parse(readFileSync(join(results, 'full.json'), 'utf8')) as Omit<RunReport, 'scenarios' | 'servers' | 'runtimes'> & {
    scenarios: (Omit<ScenarioRun, 'scenario'> & { scenario: string })[];
    runtimes?: (Omit<RuntimeRun, 'scenario'> & { scenario: string })[];
    servers: string[];
  };
  const scenarioOf = <T extends { scenario: string }>(run: T) => ({ ...run, scenario: SCENARIOS.find((scenario) => scenario.id === run.scenario)! });
  const { runtimes, ...figures } = raw;
  const report: RunReport = {
    ...figures,
    servers: raw.servers.map((name) => SERVERS.find((spec) => spec.name === name)!),
    scenarios: raw.scenarios.map(scenarioOf),
    ...(runtimes && { runtimes: runtimes.map(scenarioOf) }),
  };
  writeFileSync(args.out ?? join(root, 'BENCHMARKS.md'), renderReport(report, extraSections()));
  process.exit(0);
}

const started = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const otherNodes = (args.node ?? []).flatMap((list) => list.split(',')).filter(Boolean);
const runtimes: Runtime[] = [OWN_RUNTIME, ...(args.ab ? [] : otherNodes.map((node) => prepareRuntime(node, log)))];
const env = await startBenchEnvironment();
log(`upstream call: median ${env.upstream.medianMs.toFixed(1)} ms, p95 ${env.upstream.p95Ms.toFixed(1)} ms, p97 ${env.upstream.p97Ms.toFixed(1)} ms`);
mkdirSync(results, { recursive: true });

try {
  if (args.ab) {
    const match = args.match?.toLowerCase();
    const experiments = EXPERIMENTS.filter((experiment) => wanted(args.only, experiment.scenario) && (!match || experiment.name.toLowerCase().includes(match)));
    const rounds = Number(args.rounds ?? (args.quick ? 1 : 3));
    const report: AbReport = {
      date: new Date().toISOString(),
      quick: args.quick,
      rounds,
      ...(match && { match }),
      experiments: await runExperiments(experiments, SCENARIOS, env, durations, rounds, log),
    };
    // A partial run keeps the full run's figures: it has a file (and a table) of its own.
    const out = args.out ?? join(results, match ? `ab-${match.replace(/[^\w-]+/g, '-')}.json` : 'ab.json');
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(renderExperiments(report));
    log(`wrote ${out}`);
  } else {
    const runs: ScenarioRun[] = [];
    const measured = (scenario: Scenario) => wanted(args.only, scenario.id) && !(args.quick && scenario.fullRunOnly && !args.only);
    const runsIn = (scenario: Scenario) => (spec: ServerSpec) =>
      wanted(args.servers, spec.name) && (!spec.scenarios || spec.scenarios.includes(scenario.id)) && !(args.quick && spec.fullRunOnly?.includes(scenario.id));
    const logRow = (scenario: Scenario, name: string, row: ServerRow) =>
      log(`(${scenario.id}) ${name}: ${row.error ?? JSON.stringify(row.values)} rss ${row.rssMiB} MiB, started in ${row.startupMs?.toFixed(0)} ms`);
    for (const scenario of SCENARIOS.filter(measured)) {
      const run: ScenarioRun = { scenario, rows: [] };
      runs.push(run);
      for (const spec of SERVERS.filter(runsIn(scenario))) {
        const row = await measureOnce(scenario, spec, env, durations);
        run.rows.push(row);
        logRow(scenario, spec.name, row);
      }
    }
    // Each server on one Node after the other, so that the machine's drift over the run falls on neither.
    const runtimeRuns: RuntimeRun[] = [];
    for (const scenario of runtimes.length > 1 ? SCENARIOS.filter((candidate) => RUNTIME_SCENARIOS.includes(candidate.id) && measured(candidate)) : []) {
      const run: RuntimeRun = { scenario, rows: [] };
      runtimeRuns.push(run);
      for (const spec of SERVERS.filter(runsIn(scenario))) {
        for (const runtime of runtimes) {
          const row = await measureOnce(scenario, spec, env, durations, runtime);
          run.rows.push({ ...row, node: runtime.version });
          logRow(scenario, `${spec.name} on Node ${runtime.version}`, row);
        }
      }
    }
    const report: RunReport = {
      date: new Date().toISOString(),
      quick: args.quick,
      machine: machine(),
      durations,
      servers: SERVERS.filter((candidate) => wanted(args.servers, candidate.name)),
      upstream: env.upstream,
      scenarios: runs,
      ...(runtimeRuns.length > 0 && { runtimes: runtimeRuns }),
      elapsedS: (performance.now() - started) / 1000,
    };
    const out = args.out ?? join(root, 'BENCHMARKS.md');
    writeFileSync(out, renderReport(report, extraSections()));
    // The raw figures go next to the report: a partial run with --out never replaces the committed ones.
    const raw = args.out ? out.replace(/(\.md)?$/, '.json') : join(results, args.quick ? 'quick.json' : 'full.json');
    writeFileSync(raw, `${JSON.stringify(report, replacer, 2)}\n`);
    log(`wrote ${out} in ${report.elapsedS.toFixed(0)} s`);
  }
} finally {
  await env.close();
}

/** Scenario objects carry functions; the raw figures need only their ids. */
function replacer(key: string, value: unknown) {
  if (key === 'scenario' && value && typeof value === 'object' && 'id' in value) return (value as { id: string }).id;
  if (key === 'servers' && Array.isArray(value)) return value.map((spec: { name: string }) => spec.name);
  return value;
}
