// The A/B experiments of `npm run bench -- --ab`: each measures one optimisation by running
// the same scenario on two variants of the gateway that differ in that one setting only.
import type { Experiment } from './harness/ab.js';
import { OPERATIONS_PLUGINS } from '../plugins/index.js';

/** Settings shared by experiments that measure execution itself, so a response cache hit does not hide it. */
const NO_RESPONSE_CACHE = { responseCacheMs: 0 };

export const EXPERIMENTS: Experiment[] = [
  {
    name: 'Response cache of anonymous queries',
    scenario: 'b',
    off: { tuning: NO_RESPONSE_CACHE },
    on: {},
  },
  {
    name: 'Response cache of anonymous queries',
    scenario: 'a',
    off: { tuning: NO_RESPONSE_CACHE },
    on: {},
  },
  {
    name: 'SQLite prepared-statement cache (500)',
    note: 'response cache and sharing off on both sides, so that every request runs its SQL',
    scenario: 'b',
    metric: 'rps',
    off: { tuning: { ...NO_RESPONSE_CACHE, shareQueries: false, statementCache: 0 } },
    on: { tuning: { ...NO_RESPONSE_CACHE, shareQueries: false } },
  },
  {
    name: 'Sharing identical anonymous queries in flight',
    scenario: 'e',
    off: { tuning: { shareQueries: false } },
    on: {},
  },
  {
    name: 'Hedged upstream calls (after the p95, at most 5% of calls)',
    scenario: 'd',
    off: { policy: { hedge: { percentile: 0 } } },
    on: {},
  },
  // What each operations plugin costs on the cheapest path there is (an answer from the response cache).
  ...OPERATIONS_PLUGINS.filter((name) => name !== 'rate-limit').map(
    (name): Experiment => ({ name: `Plugin ${name}`, scenario: 'b', metric: 'cpuUs', off: { omitPlugins: [name] }, on: {}, durations: { measureS: 5 } }),
  ),
  {
    name: 'Plugin rate-limit',
    note: 'off in every other measurement: all load comes from one address',
    scenario: 'b',
    metric: 'cpuUs',
    off: {},
    on: { env: { RATE_LIMIT_PER_MINUTE: '1000000' } },
    durations: { measureS: 5 },
  },
  {
    name: 'Upstream concurrency cap per host 256 instead of 64 (got agent maxSockets with it)',
    scenario: 'd',
    off: {},
    on: { policy: { concurrencyPerHost: 256 } },
  },
];
