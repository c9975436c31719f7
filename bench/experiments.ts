// The A/B experiments of `npm run bench -- --ab`: each measures one optimisation by running
// the same scenario on two variants of the gateway that differ in that one setting only.
import type { Experiment } from './harness/ab.js';

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
    name: 'Hedged upstream calls (after the p95, at most 5% of calls)',
    scenario: 'd',
    off: { policy: { hedge: { percentile: 0 } } },
    on: {},
  },
  {
    name: 'Upstream concurrency cap per host 256 instead of 64 (got agent maxSockets with it)',
    scenario: 'd',
    off: {},
    on: { policy: { concurrencyPerHost: 256 } },
  },
];
