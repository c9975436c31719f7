// Loaded with `node --import` (see test/tracing-off.test.ts): records every module the process
// loads, ES modules through a load hook and CommonJS ones from the require cache, and writes
// their URLs, one a line, to the file named by GATHERQL_MODULES_FILE when the process exits.
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const file = process.env.GATHERQL_MODULES_FILE;
const loaded = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => loaded.add(url));
// The channel must not keep a process alive that has nothing else to do.
port1.unref();
register('./module-recorder-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const require = createRequire(import.meta.url);
process.on('exit', () => {
  for (const path of Object.keys(require.cache)) loaded.add(pathToFileURL(path).href);
  if (file) writeFileSync(file, [...loaded].join('\n'));
});
