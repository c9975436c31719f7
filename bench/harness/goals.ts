import type { ScenarioRun } from './run-types.js';
import type { CacheGroup, ServerSpec } from './server-spec.js';
import type { UpstreamLatency } from './upstream-latency.js';

export interface GoalCheck {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
  /** How far off, when missed: "12% short", "1.4x over". */
  gap?: string;
}

/** gatherql's row of each kind: its response cache on (cached) and off (executed). */
const OURS: Record<CacheGroup, string> = { cached: 'gatherql', executed: 'gatherql-executing' };
/** The Apollo peer of each kind, for the "2x Apollo" goals. */
const APOLLO: Record<CacheGroup, string> = { cached: 'apollo-cached', executed: 'apollo' };
/** The row that writes an answer already in memory with nothing else, and the share of its rate a cached GET of gatherql should reach. */
const RAW = 'raw-node';
const RAW_SHARE = 0.7;
/** The p99 of requests served while a report runs may be this far above their p99 without one. */
export const REPORT_P99_FACTOR = 1.2;
/** A p99 of (d) may be this far above its floor. */
const TAIL_FLOOR_FACTOR = 1.15;
/** The cold fan-out's p50 may be this far above two upstream round trips (it was 1.3 until met). */
const COLD_FACTOR = 1.1;
/** A burst's p99 may be this far above one request alone (it was 2.5 until met). */
const BURST_FACTOR = 2;
/** Executed requests against the plain Yoga baseline and against Mercurius with graphql-jit, in req/s. */
const EXECUTED_SHARES = [
  ['yoga-plain', 1],
  ['mercurius', 0.5],
] as const;
/** Warm cities with every part, cached: at least this many times the fastest cached peer. */
const WARM_CITIES_SHARE = 1.5;

function value(runs: ScenarioRun[], id: string, server: string, key: string): number | null {
  const row = runs.find((run) => run.scenario.id === id)?.rows.find((candidate) => candidate.server === server);
  const found = row?.values[key];
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
}

/** The peers of one kind measured in a scenario, with their figure, best first. */
function peersOf(runs: ScenarioRun[], servers: ServerSpec[], id: string, group: CacheGroup, key: string, higherIsBetter: boolean) {
  return servers
    .filter((spec) => spec.peer && spec.group === group)
    .map((spec) => ({ name: spec.name, figure: value(runs, id, spec.name, key) }))
    .filter((peer): peer is { name: string; figure: number } => peer.figure !== null)
    .sort((a, b) => (higherIsBetter ? b.figure - a.figure : a.figure - b.figure));
}

const f = (n: number, digits = 1) => n.toFixed(digits);

/**
 * The goals of the performance work, checked against one run's figures. A goal that compares
 * with peers counts only like for like: gatherql-executing against the executed peers,
 * gatherql against the cached peers.
 */
export function checkGoals(runs: ScenarioRun[], upstream: UpstreamLatency, servers: ServerSpec[]): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const atLeast = (goal: string, measured: number, target: number, unit: string, describe: string) =>
    checks.push({
      goal,
      target: describe,
      measured: `${f(measured, 0)} ${unit} (${f(measured / target, 2)}x the target)`,
      met: measured >= target,
      ...(measured < target && { gap: `${f(100 * (1 - measured / target), 0)}% short` }),
    });
  const atMost = (goal: string, measured: number, target: number, unit: string, describe: string, note = '') =>
    checks.push({
      goal,
      target: describe,
      measured: `${f(measured)} ${unit} (${f(measured / target, 2)}x the target${note})`,
      met: measured <= target,
      ...(measured > target && { gap: `${f(measured / target, 2)}x the target, ${f(measured - target)} ${unit} over` }),
    });

  for (const [id, name] of [
    ['a', 'Warm weather'],
    ['b', 'Posts with authors'],
  ] as const) {
    for (const group of ['executed', 'cached'] as const) {
      const ours = value(runs, id, OURS[group], 'rps');
      if (ours === null) continue;
      const fastest = peersOf(runs, servers, id, group, 'rps', true)[0];
      if (fastest)
        atLeast(
          `(${id}) ${name}, ${group}: ${OURS[group]} req/s ≥ the fastest ${group} peer`,
          ours,
          fastest.figure,
          'req/s',
          `≥ ${f(fastest.figure, 0)} req/s (${fastest.name})`,
        );
      if (group === 'executed') {
        for (const [peer, share] of EXECUTED_SHARES) {
          const theirs = value(runs, id, peer, 'rps');
          if (theirs !== null)
            atLeast(`(${id}) ${name}, executed: ${OURS[group]} req/s ≥ ${share}x ${peer}`, ours, share * theirs, 'req/s', `≥ ${f(share * theirs, 0)} req/s`);
        }
      }
      const apollo = value(runs, id, APOLLO[group], 'rps');
      if (apollo !== null)
        atLeast(`(${id}) ${name}, ${group}: ${OURS[group]} req/s ≥ 2x ${APOLLO[group]}`, ours, 2 * apollo, 'req/s', `≥ ${f(2 * apollo, 0)} req/s`);
    }
  }

  const cold = value(runs, 'c', OURS.cached, 'p50');
  if (cold !== null) {
    const target = COLD_FACTOR * 2 * upstream.medianMs;
    atMost(
      `(c) Cold fan-out of 20: p50 within ${COLD_FACTOR}x of two upstream round trips`,
      cold,
      target,
      'ms',
      `≤ ${f(target)} ms (${COLD_FACTOR} × 2 × ${f(upstream.medianMs)} ms)`,
    );
  }

  const tail = value(runs, 'd', OURS.cached, 'p99');
  const floor = value(runs, 'd', OURS.cached, 'floor');
  const median = value(runs, 'd', OURS.cached, 'upstreamP50');
  const hedgeDelay = value(runs, 'd', OURS.cached, 'hedgeDelay');
  if (tail !== null && floor !== null && median !== null && hedgeDelay !== null) {
    atMost(
      `(d) Tail: fan-out p99 ≤ ${TAIL_FLOOR_FACTOR}x the floor of a request with one hedged slow call (2 × upstream p50 + hedge delay)`,
      tail,
      TAIL_FLOOR_FACTOR * floor,
      'ms',
      `≤ ${f(TAIL_FLOOR_FACTOR * floor)} ms (${TAIL_FLOOR_FACTOR} × (2 × ${f(median)} + ${f(hedgeDelay)} ms))`,
      `; ${f(tail / floor, 2)}x the floor, ${f(tail / upstream.medianMs, 2)}x the upstream median`,
    );
  }
  const extra = value(runs, 'd', OURS.cached, 'extraPct');
  if (extra !== null) atMost('(d) Tail: at most 5% extra upstream calls', extra, 5, '%', '≤ 5%');

  const geocoding = value(runs, 'e', OURS.cached, 'geocoding');
  const forecast = value(runs, 'e', OURS.cached, 'forecast');
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
  const burstP99 = value(runs, 'e', OURS.cached, 'p99');
  const alone = value(runs, 'e', OURS.cached, 'alone');
  if (burstP99 !== null && alone !== null) {
    atMost(
      `(e) Burst: p99 ≤ ${BURST_FACTOR}x one request alone`,
      burstP99,
      BURST_FACTOR * alone,
      'ms',
      `≤ ${f(BURST_FACTOR * alone)} ms (${BURST_FACTOR} × ${f(alone)} ms)`,
    );
  }

  const warmCities = value(runs, 'h', OURS.cached, 'rps');
  const fastestCached = peersOf(runs, servers, 'h', 'cached', 'rps', true)[0];
  if (warmCities !== null && fastestCached) {
    atLeast(
      `(h) Warm cities, every part, cached: gatherql req/s ≥ ${WARM_CITIES_SHARE}x the fastest cached peer`,
      warmCities,
      WARM_CITIES_SHARE * fastestCached.figure,
      'req/s',
      `≥ ${f(WARM_CITIES_SHARE * fastestCached.figure, 0)} req/s (${WARM_CITIES_SHARE} × ${fastestCached.name})`,
    );
  }

  const cachedGet = value(runs, 'n', OURS.cached, 'rps');
  const limit = value(runs, 'n', RAW, 'rps');
  if (cachedGet !== null && limit !== null) {
    atLeast(
      `(n) Cached GET: gatherql req/s ≥ ${RAW_SHARE}x ${RAW} (node:http writing the same bytes)`,
      cachedGet,
      RAW_SHARE * limit,
      'req/s',
      `≥ ${f(RAW_SHARE * limit, 0)} req/s (${RAW_SHARE} × ${f(limit, 0)})`,
    );
  }

  const reportAlone = value(runs, 'k', OURS.cached, 'p99AloneMs');
  const reportAlongside = value(runs, 'k', OURS.cached, 'p99AlongsideMs');
  if (reportAlone !== null && reportAlongside !== null) {
    atMost(
      `(k) Requests served while a report runs: p99 ≤ ${REPORT_P99_FACTOR}x their p99 without it`,
      reportAlongside,
      REPORT_P99_FACTOR * reportAlone,
      'ms',
      `≤ ${f(REPORT_P99_FACTOR * reportAlone)} ms (${REPORT_P99_FACTOR} × ${f(reportAlone)} ms)`,
    );
  }

  for (const group of ['executed', 'cached'] as const) {
    const mixed = value(runs, 'f', OURS[group], 'p99');
    const best = peersOf(runs, servers, 'f', group, 'p99', false)[0];
    if (mixed !== null && best) {
      atMost(`(f) Mixed load, ${group}: ${OURS[group]} p99 no worse than any ${group} peer`, mixed, best.figure, 'ms', `≤ ${f(best.figure)} ms (${best.name})`);
    }
  }
  return checks;
}
