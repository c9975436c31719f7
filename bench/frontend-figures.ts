// Trusted documents and @defer, measured: `npx tsx bench/frontend-figures.ts [runs]`.
// 1. Request bytes: the JSON body of each of the example client's operations sent by id, as
//    the client sends it, against the same body with the document's text (`send: 'text'`).
// 2. Time to the first part against the whole answer: 20 cold cities against the local
//    simulator, Lima's forecast 1000 ms late, asked with the client's deferred operation
//    (places first, weather deferred) and with the same selection undeferred. Each run uses a
//    fresh gateway, so every cache is cold; one warm-up run is not counted. Medians reported.
import { readFileSync } from 'node:fs';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, print } from 'graphql';
import { executeIncrementally, type ExecuteOptions } from '../client/execute.js';
import { CitiesAsTheyArriveDocument, CurrentWeatherDocument, LatestPostsDocument, LogInDocument } from '../client/generated/graphql.js';
import { loadConfig } from '../config.js';
import { createGateway } from '../gateway.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { startSimulator } from '../simulator/simulator.js';

const manifest = JSON.parse(readFileSync(new URL('../client/generated/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
const SLOW_CITY = 'Lima';
const SLOW_MS = 1000;
const CITIES = [SLOW_CITY, ...SIM_CITIES.map((city) => city.name).filter((name) => name !== SLOW_CITY)].slice(0, 20);
const runs = Number(process.argv[2] ?? 5);

// --- 1. Request bytes ---------------------------------------------------------------------
const operations: [string, TypedDocumentNode<unknown, any>, unknown][] = [
  ['CurrentWeather (3 cities)', CurrentWeatherDocument, { cities: ['London', 'Paris', 'Atlantis'] }],
  ['CitiesAsTheyArrive (3 names)', CitiesAsTheyArriveDocument, { names: ['Berlin', 'Lima', 'Atlantis'] }],
  ['LatestPosts', LatestPostsDocument, { first: 10 }],
  ['LogIn', LogInDocument, { username: 'ada', password: 'gatherql-demo' }],
];
console.log('request body bytes (JSON, as execute() sends it)');
// "as text" is what execute() sends with send: 'text' (the printed document); "minified" is
// the manifest's one-line text, the smallest a client could send.
console.log(
  `${'operation'.padEnd(30)} ${'by id'.padStart(6)} ${'as text'.padStart(8)} ${'saved'.padStart(6)} ${'minified'.padStart(9)} ${'saved'.padStart(6)}`,
);
const saved = (byId: number, other: number) => `${Math.round((1 - byId / other) * 100)}%`.padStart(6);
for (const [name, document, variables] of operations) {
  const id = (document as unknown as { __meta__: { hash: string } }).__meta__.hash;
  const byId = Buffer.byteLength(JSON.stringify({ documentId: id, variables }));
  const asText = Buffer.byteLength(JSON.stringify({ query: print(document), variables }));
  const minified = Buffer.byteLength(JSON.stringify({ query: manifest[id], variables }));
  console.log(
    `${name.padEnd(30)} ${String(byId).padStart(6)} ${String(asText).padStart(8)} ${saved(byId, asText)} ${String(minified).padStart(9)} ${saved(byId, minified)}`,
  );
}

// --- 2. Time to the first part --------------------------------------------------------------
const UNDEFERRED = print(CitiesAsTheyArriveDocument).replace(/\.\.\. @defer\(label: "weather"\) \{([\s\S]*?)\n {6}\}/, '$1');
if (UNDEFERRED.includes('@defer')) throw new Error('could not take @defer out of the operation');

const sim = await startSimulator({ faults: [{ endpoint: 'forecast', city: SLOW_CITY, fault: { kind: 'latency', ms: SLOW_MS } }] });

async function withGateway<T>(work: (options: ExecuteOptions) => Promise<T>): Promise<T> {
  const gateway = await createGateway(
    loadConfig({
      DATABASE_URL: ':memory:',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_MINUTE: '0',
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
      REST_COUNTRIES_URL: sim.countriesUrl,
      OPEN_METEO_QUOTA: 'off',
    }),
  );
  try {
    return await work({ url: 'http://bench/graphql', fetch: async (input, init) => gateway.yoga.fetch(new Request(input, init)) });
  } finally {
    await gateway.close();
  }
}

/** Milliseconds to the first result and to the last, and how many results (parts) came. */
async function timed(document: TypedDocumentNode<unknown, any>, options: ExecuteOptions) {
  const started = performance.now();
  let first: number | undefined;
  let parts = 0;
  let last: { data: unknown; errors: unknown[] } | undefined;
  for await (const result of executeIncrementally(document, { names: CITIES }, options)) {
    first ??= performance.now() - started;
    parts += 1;
    last = result;
  }
  if (!last?.data || last.errors.length > 0) throw new Error(`unexpected answer: ${JSON.stringify(last?.errors)}`);
  return { firstMs: first!, wholeMs: performance.now() - started, parts };
}

// Not in the manifest, and without an id: execute() sends its text.
const undeferred = parse(UNDEFERRED) as TypedDocumentNode<unknown, any>;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: { firstMs: number; wholeMs: number; parts: number; undeferredMs: number }[] = [];
for (let run = 0; run <= runs; run++) {
  const deferred = await withGateway((options) => timed(CitiesAsTheyArriveDocument, options));
  const whole = await withGateway((options) => timed(undeferred, options));
  if (run > 0) rows.push({ ...deferred, undeferredMs: whole.wholeMs });
}
console.log(`\n${CITIES.length} cold cities, ${SLOW_CITY}'s forecast ${SLOW_MS} ms late, ${runs} runs (medians, ms)`);
console.log(
  `deferred:   first part ${median(rows.map((row) => row.firstMs)).toFixed(0)}, whole answer ${median(rows.map((row) => row.wholeMs)).toFixed(0)}, parts ${median(rows.map((row) => row.parts))}`,
);
console.log(`undeferred: whole answer ${median(rows.map((row) => row.undeferredMs)).toFixed(0)}`);
await sim.close();
