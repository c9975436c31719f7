import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { limitLifetime, unlimitedLifetime } from '../resolvers/answer-lifetime.js';
import { DEPRECATION_NOTICE } from '../simulator/countries-api.js';
import { SIM_API_KEY } from '../simulator/countries-keys.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import type { Caller } from '../sources/kit/caller.js';
import { createUpstreamHttp, type UpstreamHttp } from '../sources/kit/http.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import { upstreamPolicy } from '../sources/kit/upstream-policy.js';
import { BUNDLED_DATASET, readBundledDataset } from '../sources/rest-countries/bundled.js';
import { CountriesRefusal } from '../sources/rest-countries/refusals.js';
import { RESPONSE_FIELDS } from '../sources/rest-countries/schemas.js';
import { createCountries } from '../sources/rest-countries/service.js';
import { createV5Client, MAX_PAGES, PAGE_LIMIT } from '../sources/rest-countries/v5-client.js';
import { TEST_POLICY } from './helpers/weather.js';

const policy = upstreamPolicy(10_000, TEST_POLICY);
/** A caller that waits as long as it takes, until the test aborts it. */
const patientCaller = (abort = new AbortController()): Caller => ({ deadline: Number.POSITIVE_INFINITY, signal: abort.signal });

/** A page of v5's envelope. */
const page = (objects: unknown[], more: boolean, offset = 0) => ({
  data: { objects, meta: { total: 999, count: objects.length, limit: PAGE_LIMIT, offset, more } },
});

const germany = {
  names: { common: 'Germany', official: 'Federal Republic of Germany' },
  codes: { alpha_2: 'DE' },
  capitals: [{ name: 'Berlin', coordinates: { lat: 52.5, lng: 13.4 } }],
  region: 'Europe',
  subregion: 'Western Europe',
  population: 83_240_525,
  currencies: [{ code: 'EUR', name: 'Euro', symbol: '€' }],
  languages: [{ name: 'German', iso639_3: 'deu' }],
  flag: { emoji: '🇩🇪', url_png: 'https://flags.example/de.png' },
};

/** Germany as gatherql's Country, without a population (the bundled dataset has none). */
const GERMANY_FACTS = {
  code: 'DE',
  name: 'Germany',
  officialName: 'Federal Republic of Germany',
  capitals: ['Berlin'],
  region: 'Europe',
  subregion: 'Western Europe',
  population: null,
  currencies: [{ code: 'EUR', name: 'Euro', symbol: '€' }],
  languages: ['German'],
  flag: '🇩🇪',
};

/** The shapes some published examples give: currencies and languages as maps, plain capitals and flag, an empty subregion. */
const antarcticaLike = {
  names: { common: 'Bouvet Island', official: 'Bouvet Island' },
  codes: { alpha_2: 'bv' },
  capitals: ['Nowhere'],
  region: 'Antarctic',
  subregion: '',
  currencies: { NOK: { name: 'Norwegian krone', symbol: 'kr' } },
  languages: { nor: 'Norwegian' },
  flag: '🇧🇻',
};

interface Reply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A real HTTP server that answers each call with what `reply` says, and remembers what it was asked. */
async function answering(reply: (url: URL, call: number) => Reply) {
  const seen: { url: URL; authorization: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pages');
    seen.push({ url, authorization: req.headers.authorization });
    const { status = 200, body, headers = {} } = reply(url, seen.length);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((done) => server.close(() => done())) };
}

describe('the REST Countries v5 client', () => {
  let http: UpstreamHttp | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    http?.close();
    await close?.();
  });
  const loadFrom = async (reply: (url: URL, call: number) => Reply) => {
    const server = await answering(reply);
    close = server.close;
    http = createUpstreamHttp();
    const load = createV5Client({ http, baseUrl: server.url, policy, apiKey: 'rc_live_test', now: () => 1_700_000_000_000 });
    const outcome = await load({}).then(
      (dataset) => ({ dataset, error: undefined }),
      (error: unknown) => ({ dataset: undefined, error: error as UpstreamError }),
    );
    return { ...outcome, seen: server.seen };
  };

  it('reads every page by offset until meta.more is false, with its key, its page size and only the fields it reads', async () => {
    const { dataset, seen } = await loadFrom((url) =>
      url.searchParams.get('offset') === '0' ? { body: page([germany], true) } : { body: page([antarcticaLike], false, 1) },
    );
    expect(seen.map(({ url }) => `${url.pathname}?${url.searchParams}`)).toEqual([
      `/countries/v5?limit=${PAGE_LIMIT}&offset=0&response_fields=${encodeURIComponent(RESPONSE_FIELDS)}`,
      `/countries/v5?limit=${PAGE_LIMIT}&offset=1&response_fields=${encodeURIComponent(RESPONSE_FIELDS)}`,
    ]);
    expect(seen.map(({ authorization }) => authorization)).toEqual(['Bearer rc_live_test', 'Bearer rc_live_test']);
    expect(dataset).toEqual({
      fetchedAt: 1_700_000_000_000,
      garbled: {},
      countries: {
        DE: { ...GERMANY_FACTS, population: 83_240_525 },
        BV: {
          code: 'BV',
          name: 'Bouvet Island',
          officialName: 'Bouvet Island',
          capitals: ['Nowhere'],
          region: 'Antarctic',
          subregion: null,
          population: null,
          currencies: [{ code: 'NOK', name: 'Norwegian krone', symbol: 'kr' }],
          languages: ['Norwegian'],
          flag: '🇧🇻',
        },
      },
    });
  });

  it('keeps a garbled entry as its country’s failure, skips one that names no country, and fails a page with no good entry', async () => {
    const garbled = { ...germany, codes: { alpha_2: 'FR' }, population: 'many' };
    const { dataset } = await loadFrom(() => ({ body: page([germany, garbled, { names: 'nobody' }], false) }));
    expect(Object.keys(dataset!.countries)).toEqual(['DE']);
    expect(dataset!.garbled).toEqual({ FR: expect.stringMatching(/^population: /) });

    await close!();
    http!.close();
    const { error } = await loadFrom(() => ({ body: page([garbled, { names: 'nobody' }], false) }));
    expect(error).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', message: expect.stringMatching(/a page in which no entry has the documented shape/) });
  });

  it.each([
    ['no data', {}, /\(data: /],
    ['no meta', { data: { objects: [] } }, /\(data\.meta: /],
    ['no meta.more', { data: { objects: [germany], meta: { total: 1 } } }, /\(data\.meta\.more: /],
    ['objects not a list', { data: { objects: { DE: germany }, meta: { more: false } } }, /\(data\.objects: /],
    ['a body cut short', '{"data":{"objects":[', /not JSON/],
  ])('a page with %s is UPSTREAM_BAD_RESPONSE, never a crash', async (_, body, message) => {
    const { error, seen } = await loadFrom(() => ({ body }));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', message: expect.stringMatching(message) });
    // A body of the wrong shape is not asked for again.
    expect(seen).toHaveLength(1);
  });

  it('gives up on paging that never ends, and on an empty page that says more follow', async () => {
    const endless = await loadFrom((_, call) => ({ body: page([{ ...germany, codes: { alpha_2: `A${String.fromCharCode(64 + call)}` } }], true) }));
    expect(endless.error).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', message: expect.stringMatching(`still more after ${MAX_PAGES} pages`) });
    expect(endless.seen).toHaveLength(MAX_PAGES);
    await close!();
    http!.close();
    const empty = await loadFrom(() => ({ body: page([], true) }));
    expect(empty.error).toMatchObject({ message: expect.stringMatching(/an empty page that says more follow/) });
  });

  it.each([
    ['401', { status: 401, body: { errors: [{ message: 'Invalid API key' }] } }, 'UPSTREAM_BAD_RESPONSE', 'key_refused', /REST_COUNTRIES_API_KEY/],
    ['403', { status: 403, body: { errors: [{ message: 'Monthly quota exceeded' }] } }, 'QUOTA_EXHAUSTED', 'quota_frozen', /quota is spent/],
    ['404', { status: 404, body: { errors: [{ message: 'Not found' }] } }, 'UPSTREAM_BAD_RESPONSE', 'wrong_url', /REST_COUNTRIES_URL has no \/countries\/v5/],
    ['a redirect', { status: 301, body: '', headers: { location: '/v5' } }, 'UPSTREAM_BAD_RESPONSE', 'wrong_url', /REST_COUNTRIES_URL answers with a redirect/],
    ['the retired versions’ notice', { body: DEPRECATION_NOTICE }, 'UPSTREAM_BAD_RESPONSE', 'wrong_url', /REST_COUNTRIES_URL points at a retired/],
    [
      'the demo key’s sample',
      { body: { data: { ...page([germany], false).data, _demo: { message: 'demo' } } } },
      'UPSTREAM_BAD_RESPONSE',
      'demo_key',
      /demo key/,
    ],
  ] as [string, Reply, string, string, RegExp][])('%s is a refusal that names the setting to change, not retried', async (_, reply, code, problem, advice) => {
    const { error, seen } = await loadFrom(() => reply);
    expect(error).toBeInstanceOf(CountriesRefusal);
    expect(error).toMatchObject({ code, problem, hostFailure: false, advice: expect.stringMatching(advice) });
    expect(error!.message).not.toMatch(/https?:|rc_live_test/);
    expect(seen).toHaveLength(1);
  });

  it('an error envelope that is neither a notice nor a refusal is a plain bad response', async () => {
    const { error } = await loadFrom(() => ({ body: { success: false, data: null, errors: [{ message: 'Something broke' }] } }));
    expect(error).not.toBeInstanceOf(CountriesRefusal);
    expect(error).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', message: 'The countries service answered an error instead of data' });
  });
});

describe('the bundled dataset', () => {
  it('is world-countries at the pinned version, whose date fetchedAt gives', () => {
    const installed = JSON.parse(readFileSync(new URL('../node_modules/world-countries/package.json', import.meta.url), 'utf8')) as { version: string };
    const declared = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(installed.version).toBe(BUNDLED_DATASET.version);
    // Pinned exactly: another version would have another date, and other facts.
    expect(declared.dependencies['world-countries']).toBe(BUNDLED_DATASET.version);
  });

  it('maps every country: name, official name, capitals, region, subregion, currencies, languages, flag; no population', async () => {
    const dataset = await readBundledDataset();
    const all = Object.values(dataset.countries);
    expect(all.length).toBeGreaterThanOrEqual(245);
    expect(dataset.fetchedAt).toBe(BUNDLED_DATASET.publishedAt);
    for (const country of all) {
      expect(country.code).toMatch(/^[A-Z]{2}$/);
      expect(country.name.length).toBeGreaterThan(0);
      expect(country.officialName.length).toBeGreaterThan(0);
      expect(country.population).toBeNull();
    }
    expect(dataset.countries.DE).toEqual(GERMANY_FACTS);
    expect(dataset.countries.AQ).toMatchObject({ capitals: [], subregion: null, currencies: [], languages: [] });
    expect(dataset.countries.ZA!.capitals).toHaveLength(3);
  });

  it('sets no limit on how long an answer may be kept: it does not change while the process runs', () => {
    const lifetime = unlimitedLifetime();
    limitLifetime(lifetime, { state: 'BUNDLED', fetchedAt: BUNDLED_DATASET.publishedAt, ttlMs: 0, ageMs: 1 });
    expect(lifetime.until).toBe(Number.POSITIVE_INFINITY);
    limitLifetime(lifetime, { state: 'STALE', fetchedAt: 0, ttlMs: 0, ageMs: 1 });
    expect(lifetime.until).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('the country facts service', () => {
  let sim: Simulator | undefined;
  let http: UpstreamHttp | undefined;
  afterEach(async () => {
    http?.close();
    await sim?.close();
  });
  const service = async (apiKey: string | null, faults: Parameters<typeof startSimulator>[0] = {}) => {
    sim = await startSimulator(faults);
    http = createUpstreamHttp();
    const reads = { count: 0 };
    const countries = createCountries({
      http,
      baseUrl: sim.countriesUrl,
      policy,
      apiKey,
      ttlMs: 86_400_000,
      now: Date.now,
      readBundled: () => {
        reads.count += 1;
        return readBundledDataset();
      },
    });
    return { countries, reads };
  };

  it('reads the bundled dataset only when it is needed, and once', async () => {
    const live = await service(SIM_API_KEY);
    const answers = await Promise.all(['DE', 'fr', 'JP', 'ZZ'].map((code) => live.countries.get(code, patientCaller())));
    expect(answers.map(({ value }) => value?.code ?? null)).toEqual(['DE', 'FR', 'JP', null]);
    expect(answers.map(({ freshness }) => freshness.state)).toEqual(['LIVE', 'LIVE', 'LIVE', 'LIVE']);
    expect((await live.countries.get('DE', patientCaller())).freshness.state).toBe('CACHED');
    expect(live.reads.count).toBe(0);
    http!.close();
    await sim!.close();

    const bundled = await service(null);
    const codes = ['DE', 'FR', 'JP', 'PE', 'EG', 'AU', 'BR', 'US', 'XS', 'ZZ'];
    const answered = await Promise.all(codes.map((code) => bundled.countries.get(code, patientCaller())));
    expect(answered.map(({ value }) => value?.code ?? null)).toEqual([...codes.slice(0, 8), null, null]);
    expect(new Set(answered.map(({ freshness }) => freshness.state))).toEqual(new Set(['BUNDLED']));
    expect(bundled.reads.count).toBe(1);
    expect(sim!.calls().countries).toBe(0);
  });

  it('a caller whose deadline passes during the first load gets the bundled facts; the load goes on for the next one', async () => {
    const { countries, reads } = await service(SIM_API_KEY, { faults: [{ endpoint: 'countries', fault: { kind: 'hold' } }] });
    const abort = new AbortController();
    const first = countries.get('DE', patientCaller(abort));
    await expect.poll(() => sim!.held(), { timeout: 30_000 }).toBe(1);
    abort.abort();
    expect(await first).toMatchObject({ value: { code: 'DE', population: null }, freshness: { state: 'BUNDLED' } });
    expect(reads.count).toBe(1);
    // Nothing the bundled dataset does not know stands in: the caller hears that its deadline passed.
    const unknown = new AbortController();
    const nowhere = countries.get('XS', { deadline: performance.now(), signal: unknown.signal });
    unknown.abort();
    await expect(nowhere).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    sim!.release();
    await expect.poll(() => countries.lastRefresh()?.result, { timeout: 30_000 }).toBe('loaded');
    expect(await countries.get('DE', patientCaller())).toMatchObject({ value: { code: 'DE', population: 83240525 }, freshness: { state: 'CACHED' } });
    expect(sim!.calls().countries).toBe(3);
  });

  it('rides out a burst of 429s while it loads: the pages are asked again after the Retry-After', async () => {
    const { countries } = await service(SIM_API_KEY, { faults: [{ endpoint: 'countries', times: 2, fault: { kind: 'status', status: 429, retryAfterS: 0 } }] });
    expect(await countries.get('DE', patientCaller())).toMatchObject({ value: { code: 'DE' }, freshness: { state: 'LIVE' } });
    // The first page three times (two 429s, then the page), then the other two.
    expect(sim!.calls()).toMatchObject({ countries: 5, countriesOffsets: [0, 0, 0, 100, 200] });
    expect(countries.lastRefresh()).toMatchObject({ ok: true, result: 'loaded' });
  });

  it('answers a code whose entry arrived garbled with its own failure, and every other code as usual', async () => {
    const { countries } = await service(SIM_API_KEY, { faults: [{ endpoint: 'countries', country: 'JP', fault: { kind: 'wrong-types' } }] });
    await expect(countries.get('JP', patientCaller())).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_RESPONSE',
      message: expect.stringMatching(/^The countries service answered with an unexpected shape for JP \((population|capitals)/),
    });
    expect((await countries.get('DE', patientCaller())).value?.name).toBe('Germany');
  });
});
