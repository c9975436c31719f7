// The A/B experiments of `npm run bench -- --ab`: each measures one optimisation by running
// the same scenario on two variants of the gateway that differ in that one setting only.
import type { Experiment } from './harness/ab.js';
import { PLUGIN_NAMES, type PluginName } from '../plugins/plugin-names.js';
import { freshness } from './scenarios/freshness.js';

/** Settings shared by experiments that measure execution itself, so that no answer comes from elsewhere. */
const EXECUTE_ALL = { responseTtlMs: 0, shareQueries: false };
/** Throughput rounds of the A/B run: shorter than the report's, since each experiment runs several. */
const SHORT = { warmS: 2, measureS: 5 };
const SHORTER = { warmS: 1, measureS: 3 };

/**
 * The cost ledger of an executed request: each plugin that an anonymous page of posts with
 * authors passes through, left out alone (`--match=ledger`). Trusted documents are on by
 * default (PERSISTED_DOCUMENTS=allow); the response cache is off on both sides. Readiness stays:
 * the harness knows a server has started by its health check.
 */
const LEDGER: PluginName[] = PLUGIN_NAMES.filter((name) => name !== 'readiness');

const ledgerEntry = (name: string, leaveOut: PluginName[]): Experiment => ({
  name: `Ledger: ${name}`,
  note: 'executed: response cache and sharing off on both sides; off leaves it out, so the effect is what it costs',
  scenario: 'b',
  metric: 'cpuUs',
  off: { tuning: EXECUTE_ALL, leaveOut },
  on: { tuning: EXECUTE_ALL },
  durations: SHORT,
});

export const EXPERIMENTS: Experiment[] = [
  ledgerEntry(`every plugin below (${LEDGER.length})`, LEDGER),
  ...LEDGER.map((plugin) => ledgerEntry(`plugin ${plugin}`, [plugin])),
  { name: 'Response cache of anonymous queries', scenario: 'b', off: { tuning: { responseTtlMs: 0 } }, on: {}, durations: SHORT },
  { name: 'Response cache of anonymous queries', scenario: 'a', off: { tuning: { responseTtlMs: 0 } }, on: {}, durations: SHORT },
  {
    name: 'SQLite prepared-statement cache (500)',
    note: 'response cache and sharing off on both sides, so that every request runs its SQL',
    scenario: 'b',
    metric: 'cpuUs',
    off: { tuning: { ...EXECUTE_ALL, statementCache: 0 } },
    on: { tuning: EXECUTE_ALL },
    durations: SHORT,
  },
  ...(['b', 'a'] as const).map(
    (scenario): Experiment => ({
      name: 'Queries compiled by graphql-jit instead of run by graphql-js',
      note: 'response cache and sharing off on both sides; answers byte-identical (test/compiled-execution.test.ts)',
      scenario,
      metric: 'cpuUs',
      off: { tuning: { ...EXECUTE_ALL, compiledExecution: false } },
      on: { tuning: EXECUTE_ALL },
      durations: SHORT,
    }),
  ),
  // Tracing on the executed path: every request traced and its spans sent (OTLP/HTTP, protobuf)
  // to a local endpoint that discards them; off is the gateway as it runs without OTEL_* set.
  ...(['b', 'a'] as const).map(
    (scenario): Experiment => ({
      name: 'Tracing (every request, to a local OTLP sink)',
      note: 'response cache and sharing off on both sides',
      scenario,
      metric: 'cpuUs',
      off: { tuning: EXECUTE_ALL },
      on: { tuning: EXECUTE_ALL, tracing: true },
      durations: SHORT,
    }),
  ),
  {
    name: 'Tracing 10% of requests (OTEL_TRACES_SAMPLER=parentbased_traceidratio, 0.1)',
    note: 'response cache and sharing off on both sides',
    scenario: 'a',
    metric: 'cpuUs',
    off: { tuning: EXECUTE_ALL },
    on: { tuning: EXECUTE_ALL, tracing: true, env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
    durations: SHORT,
  },
  { name: 'Sharing identical anonymous queries in flight', scenario: 'e', off: { tuning: { shareQueries: false } }, on: {} },
  { name: 'Hedged upstream calls (after the p97, at most 5% of calls)', scenario: 'd', off: { policy: { hedge: { percentile: 0 } } }, on: {} },
  {
    name: 'Refresh-ahead of hot keys',
    note: `${Object.entries(freshness.serverEnv ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join(' and ')} on both sides, so that an expired value is waited for`,
    scenario: 'i',
    metric: 'p99',
    off: { cache: { refreshAhead: null } },
    on: {},
  },
  {
    name: 'Upstream concurrency cap per host 256 instead of 64 (agent maxSockets with it)',
    scenario: 'd',
    off: { policy: { concurrencyPerHost: 64 } },
    on: {},
  },
  {
    name: 'Plugin rate-limit',
    note: 'off in every other measurement: all load comes from one address',
    scenario: 'b',
    metric: 'cpuUs',
    off: {},
    on: { env: { RATE_LIMIT_PER_MINUTE: '1000000' } },
    durations: SHORTER,
  },
];
