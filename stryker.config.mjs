// Mutation testing of the code whose mistakes the other tests would miss most easily: the
// upstream kit, the limits, the response stores, the login throttle, the password hasher and
// the trusted documents (docs/testing.md has the score and the survivors left on purpose).
// `npm run test:mutation`; `-- --mutate <file>` for one file. Results are kept in reports/
// (incremental: a run tests again only the mutants whose code or tests changed).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'sources/kit/**/*.ts',
    'limits/**/*.ts',
    'responses/**/*.ts',
    'resolvers/login-throttle.ts',
    'resolvers/password-hasher.ts',
    'persisted-documents.ts',
    // The job engine, against test/job-engine.test.ts (in-process: SQLite and BullMQ on Redis).
    'jobs/**/*.ts',
    // The event bus of live data, against its unit tests (in memory, on Redis, and between workers).
    'events/**/*.ts',
    // The graphql-ws transport, against test/websocket-transport.test.ts (a small Yoga, real clients).
    'http/graphql-ws.ts',
  ],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  // A mutant that runs only while a module loads (a constant, a regular expression, a script
  // text) would need every test file to run for it; they are left out and counted as ignored.
  ignoreStatic: true,
  // Two cores, shared with others: two mutants at a time, at low priority (package.json's nice).
  concurrency: 2,
  timeoutMS: 20_000,
  // The first run of every test, with coverage, on a loaded machine.
  dryRunTimeoutMinutes: 60,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  // .ci/cache holds other Nodes and their builds (.ci/run): nothing a sandbox needs.
  ignorePatterns: ['dist', 'bench/.build', 'bench/results', 'test-results', 'reports', 'data', '.ci/cache'],
  cleanTempDir: 'always',
};
