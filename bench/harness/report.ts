import type { Durations } from '../scenarios/types.js';
import { checkGoals } from './goals.js';
import { type Machine, packageVersion } from './machine.js';
import type { RuntimeRun, ScenarioRun } from './run-types.js';
import type { ServerSpec } from './server-spec.js';
import type { UpstreamLatency } from './upstream-latency.js';

export interface RunReport {
  date: string;
  quick: boolean;
  machine: Machine;
  durations: Durations;
  servers: ServerSpec[];
  upstream: UpstreamLatency;
  scenarios: ScenarioRun[];
  /** With `--node`: scenarios measured again on each Node of the run (absent from runs without). */
  runtimes?: RuntimeRun[];
  elapsedS: number;
}

const cell = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function scenarioTable(run: ScenarioRun, durations: Durations, servers: ServerSpec[]): string {
  const { scenario, rows } = run;
  const ratioLabel = scenario.columns.find((column) => column.key === scenario.ratioKey)?.label ?? scenario.ratioKey;
  const spec = (name: string) => servers.find((candidate) => candidate.name === name);
  const kind = (name: string) => spec(name)?.group ?? '–';
  // Ratios to gatherql's rows only: every peer is read against gatherql, like with like by its kind.
  const ours = rows.filter((row) => spec(row.server)?.peer === false && (!scenario.ratioServers || scenario.ratioServers.includes(row.server)));
  const header = ['server', 'kind', ...scenario.columns.map((column) => column.label), 'peak RSS MiB', ...ours.map((row) => `${ratioLabel} ÷ ${row.server}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index < 2 ? '---' : '--:')).join('|')}|`];
  for (const row of rows) {
    if (row.error) {
      lines.push(`| ${row.server} | ${kind(row.server)} | failed: ${row.error.replace(/\s+/g, ' ').replace(/\|/g, '/')} |`);
      continue;
    }
    const mine = row.values[scenario.ratioKey];
    const ratios = ours.map((other) => {
      const theirs = other.values[scenario.ratioKey];
      return typeof mine === 'number' && typeof theirs === 'number' && theirs > 0 ? `${cell(mine / theirs, 2)}x` : '–';
    });
    const failures = row.values.failures ? ` (${row.values.failures} failed)` : '';
    lines.push(
      `| ${row.server}${failures} | ${kind(row.server)} | ${scenario.columns.map((column) => cell(row.values[column.key], column.digits)).join(' | ')} | ${cell(row.rssMiB, 0)} | ${ratios.join(' | ')} |`,
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
    `Ratio columns: this row's ${ratioLabel} divided by that gatherql row's (${direction}).`,
    '',
  ].join('\n');
}

/**
 * One scenario on each Node of the run: every server's row per Node, with ratios to gatherql's
 * rows on the same Node, so that what a Node changes in the distance to a peer reads across.
 */
function runtimeTable(run: RuntimeRun, durations: Durations, servers: ServerSpec[]): string {
  const { scenario, rows } = run;
  const ratioLabel = scenario.columns.find((column) => column.key === scenario.ratioKey)?.label ?? scenario.ratioKey;
  const spec = (name: string) => servers.find((candidate) => candidate.name === name);
  const ours = [...new Set(rows.filter((row) => spec(row.server)?.peer === false).map((row) => row.server))];
  const header = [
    'server',
    'kind',
    'Node',
    ...scenario.columns.map((column) => column.label),
    'peak RSS MiB',
    ...ours.map((name) => `${ratioLabel} ÷ ${name}`),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index < 3 ? '---' : '--:')).join('|')}|`];
  for (const row of rows) {
    const start = `| ${row.server} | ${spec(row.server)?.group ?? '–'} | ${row.node}`;
    if (row.error) {
      lines.push(`${start} | failed: ${row.error.replace(/\s+/g, ' ').replace(/\|/g, '/')} |`);
      continue;
    }
    const mine = row.values[scenario.ratioKey];
    const ratios = ours.map((name) => {
      const theirs = rows.find((other) => other.server === name && other.node === row.node && !other.error)?.values[scenario.ratioKey];
      return typeof mine === 'number' && typeof theirs === 'number' && theirs > 0 ? `${cell(mine / theirs, 2)}x` : '–';
    });
    lines.push(
      `${start} | ${scenario.columns.map((column) => cell(row.values[column.key], column.digits)).join(' | ')} | ${cell(row.rssMiB, 0)} | ${ratios.join(' | ')} |`,
    );
  }
  const nodes = [...new Set(rows.map((row) => row.node))].join(', ');
  return [
    `## Node versions: (${scenario.id}) ${scenario.title}`,
    '',
    `Every server of (${scenario.id}) on each Node of the run (${nodes}; \`npm run bench -- --node=PATH\`), one Node after the other for each`,
    `server, after the tables above. ${scenario.method(durations)}`,
    '',
    ...lines,
    '',
    `Ratio columns: this row's ${ratioLabel} divided by that gatherql row's on the same Node (${scenario.higherIsBetter ? 'higher' : 'lower'} is better).`,
    '',
  ].join('\n');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/** Start-up time and peak RSS of every server over all its starts in the run. */
function startupTable(report: RunReport): string[] {
  const lines = [
    '### Start-up and memory',
    '',
    'Over every start of the run (each scenario starts each server afresh). Peak RSS per scenario is in its table.',
    '',
    '| server | starts | start-up to ready, median ms | fastest – slowest ms | peak RSS, median MiB | peak RSS, highest MiB |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const spec of report.servers) {
    const rows = report.scenarios.flatMap((run) => run.rows.filter((row) => row.server === spec.name));
    const startups = rows.flatMap((row) => (typeof row.startupMs === 'number' ? [row.startupMs] : []));
    const rss = rows.flatMap((row) => (row.rssMiB > 0 ? [row.rssMiB] : []));
    if (rows.length === 0) continue;
    const range = startups.length ? `${cell(Math.min(...startups), 0)} – ${cell(Math.max(...startups), 0)}` : '–';
    lines.push(
      `| ${spec.name} | ${rows.length} | ${startups.length ? cell(median(startups), 0) : '–'} | ${range} | ${rss.length ? cell(median(rss), 0) : '–'} | ${rss.length ? cell(Math.max(...rss), 0) : '–'} |`,
    );
  }
  lines.push('');
  return lines;
}

/** BENCHMARKS.md from one run's figures, plus extra sections (the A/B results, the findings). */
export function renderReport(report: RunReport, extraSections: string[] = []): string {
  const { machine } = report;
  const goals = checkGoals(report.scenarios, report.upstream, report.servers);
  const versions = report.servers.map(
    (spec) =>
      `| ${spec.name} | ${spec.group} | ${spec.description} | ${spec.caches} | ${spec.packages.map((name) => `${name.split('/node_modules/').at(-1)} ${packageVersion(name)}`).join(', ')} |`,
  );
  const d = report.durations;
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${report.quick ? ' -- --quick' : ''}\` on ${report.date.slice(0, 10)} (${report.quick ? 'quick' : 'full'} run, ${report.elapsedS.toFixed(0)} s).`,
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
    '| server | kind | what | what it keeps across requests | versions |',
    '|---|---|---|---|---|',
    ...versions,
    '',
    'The peers live in `bench/peers/`, each written the way its own documentation recommends, serving the',
    'same queries from the same simulator and the same SQLite data. `yoga-plain` is the plain baseline: the',
    'simplest resolvers a tutorial would write, with no loader and no cache. "executed" servers execute every',
    'request; "cached" ones keep answers or resolver results across requests, and keep gatherql\'s freshness',
    "rules with its defaults: no answer older than gatherql's response cache allows, no weather, air quality,",
    "place or country older than gatherql's upstream caches allow. gatherql-executing keeps its upstream caches,",
    "which the executed peers have not (bar what Apollo's HTTP cache keeps by the upstream's Cache-Control).",
    '',
    ...startupTable(report),
    '## Method',
    '',
    '- Load generator (autocannon, in the harness process), the server under test and the simulator of the four',
    `  upstream APIs (a process of its own) share the machine's ${machine.cores} cores; everything listens on 127.0.0.1.`,
    '- Every server is started fresh for every scenario, on its own copy of one SQLite file that',
    "  gatherql's migrations and demo seed wrote (24 published posts, 5 authors). Start-up is the time from",
    '  spawning it (plain Node on a bundle esbuild made before the run, as `npm start` runs gatherql, for every server)',
    '  to its first 200: from `/ready` for gatherql,',
    '  from a `{ __typename }` query for the peers, which have no readiness route (polled every 10 ms).',
    '- gatherql runs `server.ts` (bundled) with `NODE_ENV=production`, `LOG_LEVEL=warn` and',
    '  `RATE_LIMIT_PER_MINUTE=0` and `UPSTREAM_BUDGET_PER_MINUTE=0`: all load comes from one address, so the per-client',
    '  limits would turn nearly every request into a 429 or a RATE_LIMITED city; and `OPEN_METEO_QUOTA=off`, since the',
    "  simulator is not Open-Meteo and its free tier's quota would only measure QUOTA_EXHAUSTED. Every other setting is its default.",
    `- No pipelining. Throughput rounds: ${d.warmS} s warm-up, then ${d.measureS} s measured. Latencies are autocannon's, per request.`,
    ...(report.quick
      ? ["- A quick run leaves out the rows that only add a comparison (a server's `fullRunOnly` scenarios), and the scale-out scenario (j)."]
      : []),
    `- One upstream call, measured by the harness against the simulator at 50 ms: median ${cell(report.upstream.medianMs)} ms,`,
    `  p95 ${cell(report.upstream.p95Ms)} ms. Goals that speak of "upstream round trips" use this median; (d) measures its own during its round.`,
    "- Open-Meteo units are what Open-Meteo's quota would count: one per geocoding call and one per location of a",
    "  forecast or air-quality call, every attempt included (from the simulator's counts and batch sizes).",
    "- Peak RSS is the server process's high-water mark (VmHWM) at the end of the scenario; for a server of several processes",
    '  (WORKERS, or instances behind nginx in (j)) the sum of theirs, as its server CPU is the sum of theirs.',
    '',
    '## Goals',
    '',
    'A goal that compares with peers counts only like for like: gatherql-executing against the executed peers,',
    'gatherql against the cached peers (see Servers for what each keeps). In (a), gatherql-executing still answers',
    'from its upstream caches, which the executed peers have not: there the cached comparison is the even one.',
    '',
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...goals.map((goal) => `| ${goal.goal} | ${goal.target} | ${goal.measured} | ${goal.met ? 'yes' : `**no**: ${goal.gap}`} |`),
    '',
    ...report.scenarios.map((run) => scenarioTable(run, report.durations, report.servers)),
    ...(report.runtimes ?? []).map((run) => runtimeTable(run, report.durations, report.servers)),
    ...extraSections,
  ].join('\n');
}
