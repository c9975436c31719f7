import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.js';
import { startServerProcess } from './helpers/server-process.js';
import { simulatorEnv } from './helpers/weather.js';

// What a gateway process loads, recorded by test/helpers/module-recorder.mjs from its first
// module to its exit: with tracing off, OpenTelemetry must cost nothing, not even its import.

const recorder = fileURLToPath(new URL('./helpers/module-recorder.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gatherql-modules-'));
let sim: Simulator;
let receiver: OtlpReceiver;
beforeAll(async () => {
  sim = await startSimulator();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await sim?.close();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs server.ts under the recorder, asks it for cities and for posts with authors, stops it, and lists what it loaded. */
async function serveAndRecord(name: string, env: Record<string, string> = {}) {
  const modulesFile = join(dir, `${name}.txt`);
  const server = await startServerProcess({
    ...simulatorEnv(sim),
    DATABASE_URL: `file:${join(dir, `${name}.sqlite`)}`,
    NODE_OPTIONS: `--import=${recorder}`,
    GATHERQL_MODULES_FILE: modulesFile,
    ...env,
  });
  const ask = async (query: string) => {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return response.headers.get('x-request-id')!;
  };
  const requestIds = [
    await ask(
      'query Cities { cities(names: ["Berlin", "Paris"]) { __typename ... on City { weather { __typename } airQuality { __typename } country { __typename } } } }',
    ),
    await ask('query LatestPosts { posts(first: 3) { edges { node { title author { username } } } } }'),
  ];
  expect(await server.stop('SIGTERM')).toBe(0);
  const modules = readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean);
  return { modules, requestIds };
}

const openTelemetry = (modules: string[]) => modules.filter((url) => url.includes('/node_modules/@opentelemetry/'));
/**
 * prom-client (the /metrics registry) requires @opentelemetry/api for its exemplars, and did
 * before tracing existed: the API alone is a façade that does nothing until an SDK registers
 * with it, which the gateway never does (its provider is its own). Any other package is ours.
 */
const beyondTheApi = (modules: string[]) => openTelemetry(modules).filter((url) => !url.includes('/node_modules/@opentelemetry/api/'));

describe('a gateway process', () => {
  it('with tracing off, loads no OpenTelemetry module beyond the API that prom-client always loaded', async () => {
    const { modules } = await serveAndRecord('off');
    // The recorder saw the gateway's own modules and its dependencies, both kinds.
    expect(modules.some((url) => url.endsWith('/gateway.ts'))).toBe(true);
    expect(modules.some((url) => url.includes('/node_modules/graphql-yoga/'))).toBe(true);
    expect(modules.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    expect(beyondTheApi(modules)).toEqual([]);
    expect(modules.filter((url) => url.includes('/node_modules/prom-client/'))).not.toEqual([]);
    // Of the gateway's tracing, only the switch, the settings, and safeUrl (which imports nothing;
    // the start-up line hides credentials with it): no file that imports OpenTelemetry.
    const tracingFolder = new URL('../tracing/', import.meta.url).href;
    const tracingFiles = modules.filter((url) => url.startsWith(tracingFolder)).map((url) => url.slice(tracingFolder.length));
    expect(tracingFiles.sort()).toEqual(['safe-url.ts', 'settings.ts', 'start.ts']);
  });

  it('with tracing on, loads the SDK and its exporter, and sends every span before it exits', async () => {
    const { modules, requestIds } = await serveAndRecord('on', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(beyondTheApi(modules).some((url) => url.includes('/@opentelemetry/sdk-trace-base/'))).toBe(true);
    expect(openTelemetry(modules).some((url) => url.includes('/@opentelemetry/exporter-trace-otlp-http/'))).toBe(true);
    // Only the encoding in use is loaded.
    expect(openTelemetry(modules).some((url) => url.includes('/@opentelemetry/exporter-trace-otlp-proto/'))).toBe(false);
    // No flush was asked for: closing the gateway on SIGTERM sent what the batch held.
    const servers = receiver.spans().filter((span) => span.kind === 'server');
    expect(servers.map((span) => span.attributes['gatherql.request.id']).sort()).toEqual([...requestIds].sort());
  });
});
