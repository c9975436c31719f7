import type { GatewayTuning } from '../../gateway.js';
import type { OperationsPluginName } from '../../plugins/index.js';
import type { UpstreamPolicyOverrides } from '../../sources/upstream-policy.js';
import type { Durations, Scenario } from '../scenarios/types.js';
import type { BenchEnvironment } from './environment.js';
import { measureOnce } from './measure.js';
import type { ServerRow } from './report.js';
import { gatewaySpec } from './servers.js';

/** What a variant changes of the production gateway (see bench/harness/gateway-variant.ts). */
export interface Variant {
  tuning?: Partial<GatewayTuning>;
  policy?: UpstreamPolicyOverrides;
  omitPlugins?: OperationsPluginName[];
  /** Environment on top of the benchmark's (e.g. a rate limit). */
  env?: Record<string, string>;
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
  off: ServerRow;
  on: ServerRow;
  note?: string;
}

export interface AbReport {
  date: string;
  quick: boolean;
  experiments: ExperimentResult[];
}

/** Runs each experiment: the scenario on the "off" variant, then on the "on" variant, each on a fresh process. */
export async function runExperiments(
  experiments: Experiment[],
  scenarios: Scenario[],
  env: BenchEnvironment,
  durations: Durations,
  log: (line: string) => void,
): Promise<ExperimentResult[]> {
  const results: ExperimentResult[] = [];
  for (const experiment of experiments) {
    const scenario = scenarios.find((candidate) => candidate.id === experiment.scenario);
    if (!scenario) throw new Error(`experiment ${experiment.name}: no scenario ${experiment.scenario}`);
    const rows: ServerRow[] = [];
    for (const [label, variant] of [['off', experiment.off], ['on', experiment.on]] as const) {
      const { env: variantEnv, ...rest } = variant;
      const spec = gatewaySpec({
        name: `gatherql-${label}`,
        script: 'bench/harness/gateway-variant.ts',
        extraEnv: { ...variantEnv, GATHERQL_BENCH_VARIANT: JSON.stringify(rest) },
      });
      const row = await measureOnce(scenario, spec, env, { ...durations, ...experiment.durations });
      rows.push(row);
      log(`A/B ${experiment.name} (${scenario.id}) ${label}: ${row.error ?? JSON.stringify(row.values)} rss ${row.rssMiB} MiB`);
    }
    results.push({
      name: experiment.name,
      scenario: scenario.id,
      metric: experiment.metric ?? scenario.ratioKey,
      // Latencies and costs go down when things get better; rates go up.
      higherIsBetter: experiment.metric ? !/p50|p99|mean|loop|cpu/i.test(experiment.metric) : scenario.higherIsBetter,
      off: rows[0]!,
      on: rows[1]!,
      ...(experiment.note && { note: experiment.note }),
    });
  }
  return results;
}

const fmt = (value: number | null | undefined, digits = 1) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The A/B table for BENCHMARKS.md. */
export function renderExperiments(report: AbReport): string {
  const lines = [
    '## What helped, what did not (A/B)',
    '',
    `From a dedicated A/B run (\`npm run bench -- --ab\`${report.quick ? ' --quick' : ''}, ${report.date.slice(0, 10)}): each optimisation`,
    'measured on two gateway processes that differ in that one setting only, one after the other, on the scenario it',
    'should move. "off" and "on" are the figures of that scenario; "effect" is on against off.',
    '',
    '| optimisation | scenario | figure | off | on | effect | peak RSS off / on MiB |',
    '|---|---|---|--:|--:|--:|--:|',
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
      `| ${result.name}${result.note ? ` (${result.note})` : ''} | ${result.scenario} | ${result.metric} | ${fmt(off)} | ${fmt(on)} | ${effect} | ${fmt(result.off.rssMiB, 0)} / ${fmt(result.on.rssMiB, 0)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
