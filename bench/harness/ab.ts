import type { PluginName } from '../../plugins/plugin-names.js';
import type { GatewayTuning } from '../../gateway.js';
import type { CacheSettings } from '../../sources/kit/upstream-cache.js';
import type { UpstreamPolicyOverrides } from '../../sources/kit/upstream-policy.js';
import type { Durations, Scenario } from '../scenarios/types.js';
import type { BenchEnvironment } from './environment.js';
import { measureOnce } from './measure.js';
import { freePort, startServer } from './processes.js';
import type { ServerRow } from './run-types.js';
import { gatewaySpec } from './servers.js';

/** What a variant changes of the production gateway (see bench/harness/gateway-variant.ts). */
export interface Variant {
  tuning?: Partial<GatewayTuning>;
  policy?: UpstreamPolicyOverrides;
  /** Settings of the upstream caches, e.g. `{ refreshAhead: null }` to turn refresh-ahead off. */
  cache?: Partial<Pick<CacheSettings, 'refreshAhead' | 'maxEntries'>>;
  /** Environment on top of the benchmark's (e.g. a rate limit). */
  env?: Record<string, string>;
  /** Trace every request, sending the spans to a local OTLP/HTTP endpoint that discards them. */
  tracing?: boolean;
  /** Plugins left out by name (the cost ledger). */
  leaveOut?: PluginName[];
}

export interface Experiment {
  name: string;
  /** Scenario id whose figures decide. */
  scenario: string;
  /** The figure compared; the scenario's ratio column by default. */
  metric?: string;
  off: Variant;
  on: Variant;
  /** Why the variants look the way they do, for the report. */
  note?: string;
  /** Shorter or longer rounds than the run's. */
  durations?: Partial<Durations>;
}

export interface ExperimentResult {
  name: string;
  scenario: string;
  metric: string;
  higherIsBetter: boolean;
  /** The median round of each side, by the metric. */
  off: ServerRow;
  on: ServerRow;
  /** The metric in every round, in the order measured. */
  rounds: { off: (number | null)[]; on: (number | null)[] };
  note?: string;
}

export interface AbReport {
  date: string;
  quick: boolean;
  /** Alternating rounds per experiment (off, on, then on, off, …). */
  rounds: number;
  /** Only the experiments whose name contains this (`--match`); absent for a full run. */
  match?: string;
  experiments: ExperimentResult[];
}

/** The row whose metric is the median of the rounds (the lower middle one for an even count). */
function medianRow(rows: ServerRow[], metric: string): ServerRow {
  const measured = rows.filter((row) => typeof row.values[metric] === 'number');
  if (measured.length === 0) return rows[0]!;
  measured.sort((a, b) => (a.values[metric] as number) - (b.values[metric] as number));
  return measured[Math.floor((measured.length - 1) / 2)]!;
}

/**
 * Runs each experiment in `rounds` alternating rounds (off then on, then on then off, …),
 * each on fresh processes, and keeps the median of each side: on this machine about one run
 * in five is slow whatever runs, and a single pair would credit that to whichever side it hit.
 */
export async function runExperiments(
  experiments: Experiment[],
  scenarios: Scenario[],
  env: BenchEnvironment,
  durations: Durations,
  rounds: number,
  log: (line: string) => void,
): Promise<ExperimentResult[]> {
  const results: ExperimentResult[] = [];
  const traced = experiments.some((experiment) => experiment.on.tracing || experiment.off.tracing);
  const sink = traced ? await startTraceSink() : null;
  try {
    for (const experiment of experiments) results.push(await runExperiment(experiment, scenarios, env, durations, rounds, log, sink?.url ?? null));
  } finally {
    await sink?.stop();
  }
  return results;
}

/** The OTLP endpoint that traced variants send to (see trace-sink-process.ts). */
async function startTraceSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const sink = await startServer('trace-sink', 'bench/harness/trace-sink-process.ts', { PORT: new URL(url).port }, { url, readyUrl: `${url}/stats` });
  return { url, stop: () => sink.stop() };
}

async function runExperiment(
  experiment: Experiment,
  scenarios: Scenario[],
  env: BenchEnvironment,
  durations: Durations,
  rounds: number,
  log: (line: string) => void,
  sinkUrl: string | null,
): Promise<ExperimentResult> {
  const scenario = scenarios.find((candidate) => candidate.id === experiment.scenario);
  if (!scenario) throw new Error(`experiment ${experiment.name}: no scenario ${experiment.scenario}`);
  const metric = experiment.metric ?? scenario.ratioKey;
  const rows: Record<'off' | 'on', ServerRow[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const label of order) {
      const { env: variantEnv, tracing, ...rest } = experiment[label];
      const spec = gatewaySpec({
        name: `gatherql-${label}`,
        script: 'bench/harness/gateway-variant.ts',
        extraEnv: {
          ...variantEnv,
          ...(tracing && sinkUrl && { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl }),
          GATHERQL_BENCH_VARIANT: JSON.stringify(rest),
        },
      });
      const row = await measureOnce(scenario, spec, env, { ...durations, ...experiment.durations });
      rows[label].push(row);
      log(`A/B ${experiment.name} (${scenario.id}) ${label} #${round + 1}: ${row.error ?? JSON.stringify(row.values)} rss ${row.rssMiB} MiB`);
    }
  }
  const figure = (row: ServerRow) => (typeof row.values[metric] === 'number' ? (row.values[metric] as number) : null);
  return {
    name: experiment.name,
    scenario: scenario.id,
    metric,
    // Latencies and costs go down when things get better; rates go up.
    higherIsBetter: experiment.metric ? !/p50|p99|mean|loop|cpu/i.test(experiment.metric) : scenario.higherIsBetter,
    off: medianRow(rows.off, metric),
    on: medianRow(rows.on, metric),
    rounds: { off: rows.off.map(figure), on: rows.on.map(figure) },
    ...(experiment.note && { note: experiment.note }),
  };
}

const fmt = (value: number | null | undefined, digits = 1) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');
const roundsText = (values: (number | null)[] | undefined) => (values ?? []).map((value) => fmt(value, 0)).join(', ');

/** The A/B table for BENCHMARKS.md. */
export function renderExperiments(report: AbReport): string {
  const command = `npm run bench -- --ab${report.quick ? ' --quick' : ''}${report.match ? ` --match=${report.match}` : ''}`;
  const lines = [
    report.match ? `### A/B of the experiments named "${report.match}"` : '## What helped, what did not (A/B)',
    '',
    `From a dedicated A/B run (\`${command}\`, ${report.date.slice(0, 10)}): each optimisation`,
    'measured on gateway processes that differ in that one setting only, on the scenario it should move, in',
    `${report.rounds} alternating rounds (off/on, on/off, …), each on fresh processes. "off" and "on" are the medians of the`,
    'rounds; "effect" is on against off; "rounds" lists every round. For a plugin, "off" leaves it out, so the effect is',
    'what it costs. Differences of a few per cent are within the noise of this machine, where about one run in five is',
    'slow whatever runs.',
    '',
    '| optimisation | scenario | figure | off | on | effect | rounds off / on | peak RSS off / on MiB |',
    '|---|---|---|--:|--:|--:|---|--:|',
  ];
  for (const result of report.experiments) {
    const off = result.off.values[result.metric];
    const on = result.on.values[result.metric];
    let effect = '–';
    if (typeof off === 'number' && typeof on === 'number' && off > 0 && on > 0) {
      const change = on / off - 1;
      const better = result.higherIsBetter ? change > 0 : change < 0;
      effect = `${change >= 0 ? '+' : ''}${(100 * change).toFixed(0)}% (${Math.abs(change) < 0.03 ? 'no effect' : better ? 'better' : 'worse'})`;
    }
    lines.push(
      `| ${result.name}${result.note ? ` (${result.note})` : ''} | ${result.scenario} | ${result.metric} | ${fmt(off)} | ${fmt(on)} | ${effect} | ${roundsText(result.rounds.off)} / ${roundsText(result.rounds.on)} | ${fmt(result.off.rssMiB, 0)} / ${fmt(result.on.rssMiB, 0)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
