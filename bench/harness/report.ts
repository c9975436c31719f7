import type { Scenario, Values, Durations } from '../scenarios/types.js';
import { checkGoals } from './goals.js';
import { type Machine, packageVersion } from './machine.js';
import type { ServerSpec } from './servers.js';
import type { UpstreamLatency } from './upstream-latency.js';

export interface ServerRow {
  server: string;
  values: Values;
  rssMiB: number;
  error?: string;
}

export interface ScenarioRun {
  scenario: Scenario;
  rows: ServerRow[];
}

export interface RunReport {
  date: string;
  quick: boolean;
  machine: Machine;
  durations: Durations;
  servers: ServerSpec[];
  upstream: UpstreamLatency;
  scenarios: ScenarioRun[];
  elapsedS: number;
}

const cell = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function scenarioTable(run: ScenarioRun, durations: Durations): string {
  const { scenario, rows } = run;
  const ratioLabel = scenario.columns.find((column) => column.key === scenario.ratioKey)?.label ?? scenario.ratioKey;
  const others = rows.map((row) => row.server);
  const header = ['server', ...scenario.columns.map((column) => column.label), 'peak RSS MiB', ...others.map((name) => `${ratioLabel} ÷ ${name}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index === 0 ? '---' : '--:')).join('|')}|`];
  for (const row of rows) {
    if (row.error) {
      lines.push(`| ${row.server} | failed: ${row.error.replace(/\s+/g, ' ').replace(/\|/g, '/')} |`);
      continue;
    }
    const mine = row.values[scenario.ratioKey];
    const ratios = rows.map((other) => {
      const theirs = other.values[scenario.ratioKey];
      return typeof mine === 'number' && typeof theirs === 'number' && theirs > 0 ? `${cell(mine / theirs, 2)}x` : '–';
    });
    const failures = row.values.failures ? ` (${row.values.failures} failed)` : '';
    lines.push(
      `| ${row.server}${failures} | ${scenario.columns.map((column) => cell(row.values[column.key], column.digits)).join(' | ')} | ${cell(row.rssMiB, 0)} | ${ratios.join(' | ')} |`,
    );
  }
  const direction = scenario.higherIsBetter ? 'higher is better' : 'lower is better';
  return [
    `## (${scenario.id}) ${scenario.title}`,
    '',
    scenario.method(durations),
    '',
    ...lines,
    '',
    `Ratio columns: this row's ${ratioLabel} divided by that server's (${direction}).`,
    '',
  ].join('\n');
}

/** BENCHMARKS.md from one run's figures, plus extra sections (the A/B results, the findings). */
export function renderReport(report: RunReport, extraSections: string[] = []): string {
  const { machine } = report;
  const goals = checkGoals(report.scenarios, report.upstream);
  const versions = report.servers.map(
    (spec) => `| ${spec.name} | ${spec.description} | ${spec.packages.map((name) => `${name.split('/node_modules/').at(-1)} ${packageVersion(name)}`).join(', ')} |`,
  );
  const d = report.durations;
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\`${report.quick ? ' -- --quick' : ''} on ${report.date.slice(0, 10)} (${report.quick ? 'quick' : 'full'} run, ${report.elapsedS.toFixed(0)} s).`,
    'All servers were measured in the same run on the same machine: compare ratios, not absolute figures,',
    'which depend on the machine. How to run it: README, "Benchmarks".',
    '',
    '## Machine',
    '',
    '| CPU | cores | RAM | Node | kernel |',
    '|---|--:|--:|---|---|',
    `| ${machine.cpu} | ${machine.cores} | ${machine.memoryGiB} GiB | ${machine.node} | ${machine.kernel} |`,
    '',
    '## Servers',
    '',
    '| server | what | versions |',
    '|---|---|---|',
    ...versions,
    '',
    'The peers live in `bench/peers/`, each written the way its own documentation recommends, serving',
    'the same two queries from the same simulator and the same SQLite data.',
    '',
    '## Method',
    '',
    '- Load generator (autocannon, in the harness process), the server under test and the Open-Meteo',
    `  simulator (a process of its own) share the machine's ${machine.cores} cores; everything listens on 127.0.0.1.`,
    '- Every server is started fresh for every scenario, on its own copy of one SQLite file that',
    "  gatherql's migrations and demo seed wrote (24 published posts, 5 authors).",
    '- gatherql runs `server.ts` with `NODE_ENV=production`, `LOG_LEVEL=warn` and',
    '  `RATE_LIMIT_PER_MINUTE=0`: all load comes from one address, so the per-client limit (100/min by',
    '  default) would turn nearly every request into a 429. Every other setting is its default.',
    `- No pipelining. Throughput rounds: ${d.warmS} s warm-up, then ${d.measureS} s measured. Latencies are autocannon's, per request.`,
    `- One upstream call, measured by the harness against the simulator at 50 ms: median ${cell(report.upstream.medianMs)} ms,`,
    `  p95 ${cell(report.upstream.p95Ms)} ms. Goals that speak of "upstream round trips" use this median.`,
    '- Peak RSS is the server process\'s high-water mark (VmHWM) at the end of the scenario.',
    '',
    '## Goals',
    '',
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...goals.map((goal) => `| ${goal.goal} | ${goal.target} | ${goal.measured} | ${goal.met ? 'yes' : `**no**: ${goal.gap}`} |`),
    '',
    ...report.scenarios.map((run) => scenarioTable(run, report.durations)),
    ...extraSections,
  ].join('\n');
}
