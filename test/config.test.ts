import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { LOOK_UPS_PER_NAME } from '../limits/upstream-budget.js';
import { sha256DocumentId } from '../persisted-documents.js';
import { REQUEST_CITY_FACTOR } from '../resolvers/city-allowance.js';

describe('loadConfig', () => {
  it('serves a laptop with no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/gatherql.sqlite',
      redisUrl: null,
      geocodingUrl: 'https://geocoding-api.open-meteo.com',
      forecastUrl: 'https://api.open-meteo.com',
      airQualityUrl: 'https://air-quality-api.open-meteo.com',
      restCountriesUrl: 'https://api.restcountries.com',
      restCountriesApiKey: null,
      upstreamTimeoutMs: 3000,
      requestDeadlineMs: 5000,
      weatherMaxCities: 50,
      weatherCacheTtlS: 300,
      airQualityCacheTtlS: 900,
      countryCacheTtlS: 86_400,
      staleWhileRevalidateS: 60,
      openMeteoQuota: { minute: 600, hour: 5000, day: 10_000 },
      restCountriesQuota: { day: 16 },
      rateLimitPerMinute: 100,
      // One maximal cold request: 4 x 50 names, each with its place, weather, air quality and country.
      upstreamBudgetPerMinute: 800,
      subscriptionsPerClient: 20,
      corsOrigins: '*',
      corsCredentials: false,
      trustProxy: false,
      logLevel: 'info',
      maxConnections: 10_000,
      socketTimeoutMs: 60_000,
      persistedDocuments: { mode: 'allow', path: 'client/generated/persisted-documents.json' },
      tracing: null,
      production: false,
      authSecretGenerated: true,
    });
    // The committed manifest: each of codegen's operations by its id and by its sha256: id.
    const committed = JSON.parse(readFileSync('client/generated/persisted-documents.json', 'utf8')) as Record<string, string>;
    expect(config.persistedDocuments.documents?.size).toBe(2 * Object.keys(committed).length);
    expect(config.authSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('sizes the upstream budget from WEATHER_MAX_CITIES when it is not set, so that the largest cold request fits', () => {
    expect(loadConfig({ WEATHER_MAX_CITIES: '10' }).upstreamBudgetPerMinute).toBe(REQUEST_CITY_FACTOR * 10 * LOOK_UPS_PER_NAME);
    expect(loadConfig({ WEATHER_MAX_CITIES: '10', UPSTREAM_BUDGET_PER_MINUTE: '0' }).upstreamBudgetPerMinute).toBe(0);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      REDIS_URL: 'redis://cache:6379',
      OPEN_METEO_GEOCODING_URL: 'http://127.0.0.1:9000/',
      OPEN_METEO_FORECAST_URL: 'http://127.0.0.1:9001',
      OPEN_METEO_AIR_QUALITY_URL: 'http://127.0.0.1:9002',
      REST_COUNTRIES_URL: 'http://127.0.0.1:9003/',
      REST_COUNTRIES_API_KEY: 'mirror-key',
      UPSTREAM_TIMEOUT_MS: '500',
      REQUEST_DEADLINE_MS: '1500',
      WEATHER_MAX_CITIES: '7',
      WEATHER_CACHE_TTL_S: '60',
      AIR_QUALITY_CACHE_TTL_S: '120',
      COUNTRY_CACHE_TTL_S: '3600',
      STALE_WHILE_REVALIDATE_S: '0',
      OPEN_METEO_QUOTA: 'OFF',
      REST_COUNTRIES_QUOTA: ' 10/minute, 100/day ',
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_BUDGET_PER_MINUTE: '50',
      SUBSCRIPTIONS_PER_CLIENT: '3',
      CORS_ORIGINS: 'https://app.example, http://localhost:5173',
      CORS_CREDENTIALS: 'yes',
      TRUST_PROXY: 'true',
      AUTH_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'warn',
      MAX_CONNECTIONS: '50',
      SOCKET_TIMEOUT_S: '20',
      PERSISTED_DOCUMENTS: 'off',
      PERSISTED_DOCUMENTS_PATH: 'nowhere/manifest.json',
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/app',
      redisUrl: 'redis://cache:6379',
      geocodingUrl: 'http://127.0.0.1:9000',
      forecastUrl: 'http://127.0.0.1:9001',
      airQualityUrl: 'http://127.0.0.1:9002',
      restCountriesUrl: 'http://127.0.0.1:9003',
      restCountriesApiKey: 'mirror-key',
      upstreamTimeoutMs: 500,
      requestDeadlineMs: 1500,
      weatherMaxCities: 7,
      weatherCacheTtlS: 60,
      airQualityCacheTtlS: 120,
      countryCacheTtlS: 3600,
      staleWhileRevalidateS: 0,
      openMeteoQuota: null,
      restCountriesQuota: { minute: 10, day: 100 },
      rateLimitPerMinute: 0,
      upstreamBudgetPerMinute: 50,
      subscriptionsPerClient: 3,
      corsOrigins: ['https://app.example', 'http://localhost:5173'],
      corsCredentials: true,
      trustProxy: true,
      authSecret: 'x'.repeat(32),
      authSecretGenerated: false,
      logLevel: 'warn',
      maxConnections: 50,
      socketTimeoutMs: 20_000,
      persistedDocuments: { mode: 'off', path: 'nowhere/manifest.json', documents: null },
      production: true,
    });
  });

  it('makes the one missing folder of an embedded database, never a chain of them', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'gatherql-config-'));
    try {
      const url = `file:${join(parent, 'data', 'gatherql.sqlite')}`;
      const handle = openDatabase(loadConfig({ DATABASE_URL: url }).databaseUrl);
      await handle.close();
      expect(existsSync(join(parent, 'data', 'gatherql.sqlite'))).toBe(true);
      expect(() => loadConfig({ DATABASE_URL: `file:${join(parent, 'a', 'b', 'x.sqlite')}` })).toThrowError(/\(.*gatherql-config-.*\/a does not exist\)$/);
      expect(existsSync(join(parent, 'a'))).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: ' ' }).port).toBe(4000);
  });

  it("keeps REST Countries within its free tier by default: the longest month of REST_COUNTRIES_QUOTA is at most 500 calls, and a keyed gateway's 3 a day fit", () => {
    const { restCountriesQuota } = loadConfig({});
    expect(restCountriesQuota?.day).toBeDefined();
    expect(restCountriesQuota!.day! * 31).toBeLessThanOrEqual(500);
    expect(restCountriesQuota!.day!).toBeGreaterThanOrEqual(3);
    expect(loadConfig({ REST_COUNTRIES_QUOTA: 'off' }).restCountriesQuota).toBeNull();
  });

  it.each([
    ['PORT', 'abc', /^PORT is invalid: expected an integer from 0 to 65535$/],
    ['PORT', '70000', /^PORT is invalid/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL is invalid: expected file:PATH, :memory: or postgres:\/\/…$/],
    [
      'DATABASE_URL',
      'file:/nonexistent/dir/x.sqlite',
      /^DATABASE_URL is invalid: expected a file whose folder exists or can be made in one that does \(\/nonexistent does not exist\)$/,
    ],
    ['RATE_LIMIT_PER_MINUTE', '-1', /^RATE_LIMIT_PER_MINUTE is invalid: expected an integer from 0/],
    ['UPSTREAM_TIMEOUT_MS', '1.5', /^UPSTREAM_TIMEOUT_MS is invalid/],
    ['OPEN_METEO_FORECAST_URL', 'ftp://x', /^OPEN_METEO_FORECAST_URL is invalid: expected an http\(s\) URL$/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL is invalid/],
    ['TRUST_PROXY', 'maybe', /^TRUST_PROXY is invalid: expected true or false$/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL is invalid: expected one of fatal, error/],
    ['AUTH_SECRET', 'short', /^AUTH_SECRET is invalid: expected at least 32 characters$/],
    ['MAX_CONNECTIONS', '0', /^MAX_CONNECTIONS is invalid: expected an integer from 1/],
    // The default request deadline may keep a request waiting 5 s: a client silent that long is not stalled.
    ['SOCKET_TIMEOUT_S', '5', /^SOCKET_TIMEOUT_S is invalid: expected more than the longest upstream wait \(REQUEST_DEADLINE_MS = 5 s\)$/],
    ['REQUEST_DEADLINE_MS', '2999', /^REQUEST_DEADLINE_MS is invalid: expected at least UPSTREAM_TIMEOUT_MS \(3000\)$/],
    [
      'OPEN_METEO_QUOTA',
      '600/minutes',
      /^OPEN_METEO_QUOTA is invalid: expected off, or limits such as 600\/minute,5000\/hour,10000\/day \("600\/minutes" is not COUNT\/minute, COUNT\/hour or COUNT\/day\)$/,
    ],
    ['OPEN_METEO_QUOTA', '10/minute,20/minute', /^OPEN_METEO_QUOTA is invalid: .*minute is given twice/],
    ['REST_COUNTRIES_QUOTA', '0/day', /^REST_COUNTRIES_QUOTA is invalid: .*a day limit must be at least 1/],
    ['REST_COUNTRIES_URL', 'ftp://x', /^REST_COUNTRIES_URL is invalid: expected an http\(s\) URL$/],
    [
      'CORS_ORIGINS',
      'https://app.example/path',
      /^CORS_ORIGINS is invalid: expected \* or origins such as .*\("https:\/\/app\.example\/path" is not an origin\)$/,
    ],
    ['CORS_ORIGINS', ',', /^CORS_ORIGINS is invalid: expected \* or origins/],
    ['CORS_CREDENTIALS', 'true', /^CORS_CREDENTIALS is invalid: expected false while CORS_ORIGINS is \*/],
    ['UPSTREAM_BUDGET_PER_MINUTE', '-5', /^UPSTREAM_BUDGET_PER_MINUTE is invalid: expected an integer from 0/],
    ['SUBSCRIPTIONS_PER_CLIENT', '0', /^SUBSCRIPTIONS_PER_CLIENT is invalid: expected an integer from 1 to 100000$/],
    ['PERSISTED_DOCUMENTS', 'sometimes', /^PERSISTED_DOCUMENTS is invalid: expected allow, only or off$/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', /^OTEL_EXPORTER_OTLP_ENDPOINT is invalid: expected an http\(s\) URL$/],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector', /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is invalid: expected an http\(s\) URL$/],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', /^OTEL_EXPORTER_OTLP_PROTOCOL is invalid: expected http\/protobuf or http\/json$/],
    ['OTEL_TRACES_SAMPLER', 'sometimes', /^OTEL_TRACES_SAMPLER is invalid: expected one of always_on, always_off, traceidratio, parentbased_always_on/],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', /^OTEL_TRACES_SAMPLER_ARG is invalid: expected a number from 0 to 1$/],
    ['OTEL_TRACES_SAMPLER_ARG', '-0.1', /^OTEL_TRACES_SAMPLER_ARG is invalid: expected a number from 0 to 1$/],
    ['OTEL_TRACES_EXPORTER', 'console', /^OTEL_TRACES_EXPORTER is invalid: expected otlp or none$/],
    ['OTEL_SDK_DISABLED', 'perhaps', /^OTEL_SDK_DISABLED is invalid: expected true or false$/],
  ])('rejects %s=%s with one line that names it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(message);
  });

  it('never repeats a secret value in its error', () => {
    let thrown: unknown;
    try {
      loadConfig({ AUTH_SECRET: 'hunter2-is-secret' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(String(thrown)).toMatch(/^ConfigError: AUTH_SECRET is invalid/);
    expect(String(thrown)).not.toContain('hunter2');
  });

  it('never repeats an OTLP endpoint in its error: its URL may carry a password', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-user:hunter2@collector' })).toThrowError(
      /^OTEL_EXPORTER_OTLP_ENDPOINT is invalid: expected an http\(s\) URL$/,
    );
  });

  it('requires AUTH_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/AUTH_SECRET is required when NODE_ENV=production/);
  });
});

describe('loadConfig: the trusted documents manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-manifest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const load = (mode: string, path: string) => loadConfig({ PERSISTED_DOCUMENTS: mode, PERSISTED_DOCUMENTS_PATH: path });

  it('reads every document by its id and by the SHA-256 of its text, with and without the sha256: prefix', () => {
    const path = manifest('custom.json', JSON.stringify({ 'x-hello': '{ __typename }' }));
    const { documents } = load('only', path).persistedDocuments;
    const id = sha256DocumentId('{ __typename }');
    expect([...documents!]).toEqual([
      ['x-hello', '{ __typename }'],
      [id, '{ __typename }'],
      [id.slice('sha256:'.length), '{ __typename }'],
    ]);
    // The appendix's own example: the SHA-256 of the UTF-8 text, in lower-case hex.
    expect(sha256DocumentId('query($id:ID!){user(id:$id){name}}')).toBe('sha256:71f7dc5758652baac68e4a10c50be732b741c892ade2883a99358f52b555286b');
  });

  it('reads the ids that codegen writes since client-preset 6 (sha256:<hex>), and those of before (<hex>), each under both', () => {
    const text = 'query Hello { __typename }';
    const id = sha256DocumentId(text);
    const hex = id.slice('sha256:'.length);
    for (const written of [id, hex]) {
      const { documents } = load('only', manifest(`codegen-${written.length}.json`, JSON.stringify({ [written]: text }))).persistedDocuments;
      expect(Object.fromEntries(documents!), written).toEqual({ [id]: text, [hex]: text });
    }
  });

  it('keeps an id the manifest writes for its own document, even when it is the hash of another', () => {
    const [mine, other] = ['query Mine { __typename }', 'query Other { __typename }'];
    const otherHex = sha256DocumentId(other).slice('sha256:'.length);
    const { documents } = load('only', manifest('own-ids.json', JSON.stringify({ [otherHex]: mine, other }))).persistedDocuments;
    expect(documents!.get(otherHex)).toBe(mine);
    expect(documents!.get(sha256DocumentId(other))).toBe(other);
  });

  it('reads the manifest that Apollo writes (generate-persisted-query-manifest)', () => {
    const text = 'query Hello { __typename }';
    const hex = sha256DocumentId(text).slice('sha256:'.length);
    const apollo = { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: hex, name: 'Hello', type: 'query', body: text }] };
    const { documents } = load('only', manifest('apollo.json', JSON.stringify(apollo))).persistedDocuments;
    expect(Object.fromEntries(documents!)).toEqual({ [hex]: text, [`sha256:${hex}`]: text });
  });

  it('starts without a manifest when plain documents are allowed, and refuses to under only', () => {
    const missing = join(dir, 'missing.json');
    expect(load('allow', missing).persistedDocuments.documents).toBeNull();
    expect(() => load('only', missing)).toThrowError(ConfigError);
    expect(() => load('only', missing)).toThrowError(
      new RegExp(`^PERSISTED_DOCUMENTS_PATH is invalid: expected the id -> document JSON that codegen writes \\(npm run codegen\\); no file at ${missing}$`),
    );
  });

  it.each([
    ['not JSON', '{"abc": ', /custom-\d\.json is not JSON$/],
    ['a list', '["{ __typename }"]', /is not an object of id -> document$/],
    ['null', 'null', /is not an object of id -> document$/],
    ['a string', '"{ __typename }"', /is not an object of id -> document$/],
    [
      'an id with something before sha256:',
      `{"x${sha256DocumentId('{ __typename }')}": "{ __typename }"}`,
      /expected ids sha256:<64 hex digits>, or of letters, digits and - \. _ ~ \(at "xsha256:[0-9a-f]{64}"\)$/,
    ],
    [
      'a sha256: id with something after the hash',
      `{"${sha256DocumentId('{ __typename }')}0": "{ __typename }"}`,
      /expected ids sha256:<64 hex digits>, or of letters, digits and - \. _ ~ \(at "sha256:[0-9a-f]{65}"\)$/,
    ],
    [
      'an Apollo manifest with an operation that is null',
      '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [null]}',
      /is not an Apollo persisted query manifest: expected an "id" string \(at operations\[0\]\)$/,
    ],
    [
      'an id with a prefix other than sha256:',
      '{"sha1:abc": "{ __typename }"}',
      /is not an object of id -> document: expected ids sha256:<64 hex digits>, or of letters, digits and - \. _ ~ \(at "sha1:abc"\)$/,
    ],
    [
      'a sha256: id that is not the hash of its document',
      `{"sha256:${'0'.repeat(64)}": "{ __typename }"}`,
      /: the id sha256:0{64} is not the SHA-256 of its document, which is sha256:[0-9a-f]{64}$/,
    ],
    [
      'an Apollo manifest of another version',
      '{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}',
      /is not an Apollo persisted query manifest: expected "version": 1 and a list of "operations"$/,
    ],
    [
      'an Apollo manifest with an operation without id',
      '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"body": "{ __typename }"}]}',
      /is not an Apollo persisted query manifest: expected an "id" string \(at operations\[0\]\)$/,
    ],
    ['a document that is not a string', '{"abc": {"query": "{ __typename }"}}', /expected a GraphQL document for each id \(at "abc"\)$/],
    ['a document that is not GraphQL', '{"abc": "SELECT 1"}', /the document of abc is not GraphQL \(Syntax Error: Unexpected Name "SELECT"\.\)$/],
  ])('stops start-up with one line on a manifest that is %s, in either mode', (_name, text, message) => {
    const path = manifest(`custom-${text.length % 10}.json`, text);
    for (const mode of ['allow', 'only']) {
      expect(() => load(mode, path)).toThrowError(ConfigError);
      expect(() => load(mode, path)).toThrowError(
        /^PERSISTED_DOCUMENTS_PATH is invalid: expected the id -> document JSON that codegen writes \(npm run codegen\); /,
      );
      expect(() => load(mode, path)).toThrowError(message);
    }
  });

  it('stops start-up on a manifest it cannot read, and reads none when off', () => {
    // A directory: readable by root too, unlike a file without read permission.
    expect(() => load('allow', dir)).toThrowError(/^PERSISTED_DOCUMENTS_PATH is invalid: .*cannot read .* \(EISDIR\)$/);
    expect(load('off', dir).persistedDocuments.documents).toBeNull();
  });
});

describe('loadConfig: tracing from the OTEL_* variables', () => {
  it('is off without an OTLP endpoint, whatever else is set', () => {
    expect(loadConfig({ OTEL_SERVICE_NAME: 'edge', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toBeNull();
  });

  it('sends to the endpoint plus /v1/traces, in protobuf, sampling as the parent did, by default', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: null,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  it('takes the traces endpoint as it is, and its own protocol over the general one', () => {
    const { tracing } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/otlp/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON',
      OTEL_SERVICE_NAME: 'gatherql-eu',
      OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(tracing).toEqual({
      url: 'https://collector.example/otlp/traces',
      protocol: 'http/json',
      serviceName: 'gatherql-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  it.each([
    ['OTEL_SDK_DISABLED', 'true'],
    ['OTEL_TRACES_EXPORTER', 'none'],
  ])('is off when %s=%s, endpoint or not', (name, value) => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [name]: value }).tracing).toBeNull();
  });
});
