// Bundles the gateway's own code into dist/ (npm start runs it): one file of plain JavaScript
// for Node, rather than TypeScript compiled on every start. Packages stay in node_modules.
// Dynamic imports stay separate chunks, so that what is loaded only when configured (tracing)
// is still loaded only then. Beside the bundle go the notices that the licences of what it
// ships ask for: NOTICE.md and the ODbL text of the bundled country facts (world-countries).
//
// `node scripts/build.mjs [ENTRY OUTDIR]` bundles another entry the same way, into OUTDIR as
// <entry's name>.mjs: the benchmark harness builds every server it runs with it.
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const [entry = 'server.ts', out = 'dist'] = process.argv.slice(2);
const outdir = resolve(root, out);
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [resolve(root, entry)],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
});
// The background thread's code (and the attempt it shares with http.ts) is loaded by Node from
// beside the bundle, as it is from beside the source.
for (const file of ['background-thread-worker.mjs', 'got-attempt.mjs']) copyFileSync(resolve(root, 'sources/kit', file), resolve(outdir, file));
copyFileSync(resolve(root, 'NOTICE.md'), resolve(outdir, 'NOTICE.md'));
copyFileSync(createRequire(import.meta.url).resolve('world-countries/LICENSE'), resolve(outdir, 'world-countries.LICENSE.md'));
