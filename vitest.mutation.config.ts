import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests `npm run test:mutation` runs against each mutant (stryker.config.mjs): the files
 * that cover the mutated folders, all in-process (no server process, browser or nginx, which
 * would take minutes per mutant), on SQLite and a throwaway Redis (test/mutation-setup.ts).
 * Left out: test/deadline.test.ts, whose verdicts need the machine to keep up with 1.5 s and
 * 5 s deadlines (on a loaded machine it fails, and a failing test stops a mutation run); what
 * it covers of sources/kit, the weather fault tests cover too.
 */
export const MUTATION_TESTS = [
  'test/abuse.test.ts',
  'test/answer-parts.test.ts',
  'test/background-lane.test.ts',
  'test/batcher.test.ts',
  'test/budget.test.ts',
  'test/bullmq-engine.test.ts',
  'test/caller.test.ts',
  'test/client-key.test.ts',
  'test/cluster-relay.test.ts',
  'test/config.test.ts',
  'test/embedded-engine.test.ts',
  'test/event-bus.test.ts',
  'test/event-queue.test.ts',
  'test/hedging.test.ts',
  'test/host-guard.test.ts',
  'test/job-engine-choice.test.ts',
  'test/job-engine.test.ts',
  'test/job-runs.test.ts',
  'test/job-schedules.test.ts',
  'test/job-timer.test.ts',
  'test/keyed-cache.test.ts',
  'test/latency-window.test.ts',
  'test/login-throttle.test.ts',
  'test/look-up-span.test.ts',
  'test/mask-error.test.ts',
  'test/memory-response-store.test.ts',
  'test/password-hasher.test.ts',
  'test/quota.test.ts',
  'test/rate-limit.test.ts',
  'test/redis-response-store.test.ts',
  'test/response-cache.test.ts',
  'test/response-headers.test.ts',
  'test/response-store-choice.test.ts',
  'test/response-store.test.ts',
  'test/served-answers.test.ts',
  'test/shared-cache-tier.test.ts',
  'test/shared-load.test.ts',
  'test/shared-queries.test.ts',
  'test/shared-tier.test.ts',
  'test/stale-and-refresh.test.ts',
  'test/tracing.test.ts',
  'test/trusted-documents.test.ts',
  'test/upstream-cache.test.ts',
  'test/upstream-error.test.ts',
  'test/upstream-http.test.ts',
  'test/upstream-policy.test.ts',
  'test/weather-faults.test.ts',
  'test/weather-resilience.test.ts',
  'test/websocket-transport.test.ts',
];

/**
 * MUTATION_TESTS=test/a.test.ts,test/b.test.ts runs only those files, for a run of a few files
 * (`-- --mutate <files>`): the first run of every test, with coverage, is most of a small run's
 * time. A file left out kills nothing, so a narrowed score is never above the whole one.
 */
const chosen = process.env.MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  ...base,
  // Code instrumented for mutants runs several times slower: a test gets four times its usual time.
  test: { ...base.test, include: chosen?.length ? chosen : MUTATION_TESTS, globalSetup: ['test/mutation-setup.ts'], testTimeout: 120_000 },
});
