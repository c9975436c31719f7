// Bundles the gateway's own code into dist/ (npm start runs it): one file of plain JavaScript
// for Node, rather than TypeScript compiled on every start. Packages stay in node_modules.
// Dynamic imports stay separate chunks, so that what is loaded only when configured (tracing)
// is still loaded only then.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { server: new URL('../server.ts', import.meta.url).pathname },
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
