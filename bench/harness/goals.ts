import type { ScenarioRun } from './report.js';
import type { UpstreamLatency } from './upstream-latency.js';

export interface GoalCheck {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
  /** How far off, when missed: "12% short", "1.4x over". */
  gap?: string;
}

const US = 'gatherql';

function value(runs: ScenarioRun[], id: string, server: string, key: string): number | null {
  const row = runs.find((run) => run.scenario.id === id)?.rows.find((candidate) => candidate.server === server);
  const found = row?.values[key];
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
}

const f = (n: number, digits = 1) => n.toFixed(digits);

/** The goals of the performance work, checked against one run's figures. */
export function checkGoals(runs: ScenarioRun[], upstream: UpstreamLatency): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const atLeast = (goal: string, measured: number, target: number, unit: string, describe: string) =>
    checks.push({
      goal,
      target: describe,
      measured: `${f(measured, 0)} ${unit} (${f(measured / target, 2)}x the target)`,
      met: measured >= target,
      ...(measured < target && { gap: `${f(100 * (1 - measured / target), 0)}% short` }),
    });
  const atMost = (goal: string, measured: number, target: number, unit: string, describe: string) =>
    checks.push({
      goal,
      target: describe,
      measured: `${f(measured)} ${unit} (${f(measured / target, 2)}x the target)`,
      met: measured <= target,
      ...(measured > target && { gap: `${f(measured / target, 2)}x the target, ${f(measured - target)} ${unit} over` }),
    });

  for (const [id, name] of [['a', 'Warm weather'], ['b', 'Posts with authors']] as const) {
    const ours = value(runs, id, US, 'rps');
    const mercurius = value(runs, id, 'mercurius', 'rps');
    const apollo = value(runs, id, 'apollo', 'rps');
    if (ours !== null && mercurius !== null) atLeast(`(${id}) ${name}: req/s ≥ Mercurius with JIT`, ours, mercurius, 'req/s', `≥ ${f(mercurius, 0)} req/s`);
    if (ours !== null && apollo !== null) atLeast(`(${id}) ${name}: req/s ≥ 2x Apollo`, ours, 2 * apollo, 'req/s', `≥ ${f(2 * apollo, 0)} req/s`);
  }

  const cold = value(runs, 'c', US, 'p50');
  if (cold !== null) {
    const target = 1.3 * 2 * upstream.medianMs;
    atMost('(c) Cold fan-out of 20: p50 within 1.3x of two upstream round trips', cold, target, 'ms', `≤ ${f(target)} ms (1.3 × 2 × ${f(upstream.medianMs)} ms)`);
  }

  const tail = value(runs, 'd', US, 'p99');
  const extra = value(runs, 'd', US, 'extraPct');
  if (tail !== null) {
    const target = 3 * upstream.medianMs;
    atMost('(d) Tail: fan-out p99 ≤ 3x the upstream median', tail, target, 'ms', `≤ ${f(target)} ms (3 × ${f(upstream.medianMs)} ms)`);
  }
  if (extra !== null) atMost('(d) Tail: at most 5% extra upstream calls', extra, 5, '%', '≤ 5%');

  const geocoding = value(runs, 'e', US, 'geocoding');
  const forecast = value(runs, 'e', US, 'forecast');
  if (geocoding !== null && forecast !== null) {
    const met = geocoding === 1 && forecast === 1;
    checks.push({
      goal: '(e) Burst: exactly 1 upstream call per distinct key',
      target: '1 geocoding + 1 forecast',
      measured: `${geocoding} geocoding + ${forecast} forecast`,
      met,
      ...(!met && { gap: `${geocoding + forecast - 2} extra calls` }),
    });
  }
  const burstP99 = value(runs, 'e', US, 'p99');
  const alone = value(runs, 'e', US, 'alone');
  if (burstP99 !== null && alone !== null) {
    atMost('(e) Burst: p99 ≤ 2.5x one request alone', burstP99, 2.5 * alone, 'ms', `≤ ${f(2.5 * alone)} ms (2.5 × ${f(alone)} ms)`);
  }

  const mixed = value(runs, 'f', US, 'p99');
  const peers = ['yoga-plain', 'apollo', 'mercurius'].map((peer) => value(runs, 'f', peer, 'p99')).filter((p): p is number => p !== null);
  if (mixed !== null && peers.length > 0) {
    const best = Math.min(...peers);
    atMost('(f) Mixed load: p99 no worse than any peer', mixed, best, 'ms', `≤ ${f(best)} ms (the best peer)`);
  }
  return checks;
}
