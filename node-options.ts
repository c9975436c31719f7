/**
 * The Node options, past `--enable-source-maps`, that `npm start` runs the gateway with: they
 * are written in package.json's start script, and `test/node-options.test.ts` keeps the two in
 * step. The benchmark harness and the tests that run the bundle start it with them too.
 *
 * `--max-semi-space-size=8` (MiB): V8 grows the young generation to 2 x 16 MiB by default, and
 * a gateway reaches that within its start-up. At 8, five alternating rounds of executed posts
 * held 165 MiB of peak RSS against 216 at the median, for as much CPU per request (428 against
 * 460 µs: docs/performance-notes.md, "Start-up and memory"). Node's cluster workers inherit it.
 */
export const GATEWAY_HEAP_ARGS: readonly string[] = ['--max-semi-space-size=8'];
