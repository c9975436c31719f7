import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships ESM and CJS builds; packages that require() it and code that imports it
    // must share one copy, or instanceof checks fail ("from another module or realm").
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Generous on purpose: a verdict must not hang on how busy the machine is. Many tests start
    // a gateway process, which compiles the TypeScript first; with the rest of the suite on both
    // CPUs that has taken longer than 30 s. A test that truly hangs still fails, only later.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The same for expect.poll, whose default gives up after 1 s: a poll ends as soon as what it
    // waits for holds, so a long limit costs nothing unless the test fails. Under load a thread
    // or a process can take longer than a second to start (test/background-thread.test.ts).
    expect: { poll: { timeout: 30_000 } },
    // Two cores: more workers than that only queue behind each other.
    maxWorkers: 2,
  },
});
