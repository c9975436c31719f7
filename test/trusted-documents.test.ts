import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as generated from '../client/generated/graphql.js';
import { CurrentWeatherDocument, LatestPostsDocument, LogInDocument } from '../client/generated/graphql.js';
import { counterValue } from '../metrics.js';
import { sha256DocumentId } from '../persisted-documents.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// The committed manifest that codegen writes, and the ids the generated documents carry.
const manifest = JSON.parse(readFileSync(new URL('../client/generated/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
const idOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;
const POSTS_ID = idOf(LatestPostsDocument);
const POSTS_TEXT = manifest[POSTS_ID]!;

let gateway: TestGateway | undefined;
let harness: WeatherHarness | undefined;
afterEach(async () => {
  await gateway?.close();
  await harness?.close();
  gateway = harness = undefined;
});

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function send(g: TestGateway, body: unknown, init: { method?: string; query?: string } = {}): Promise<Answer> {
  const response = await g.yoga.fetch(`http://gatherql.test/graphql${init.query ?? ''}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    ...(init.method === 'GET' ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const titles = (answer: Answer) => answer.body.data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title);
const code = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code);

describe('the generated documents and the manifest', () => {
  it('carry the same ids, each the SHA-256 of its document text', () => {
    const ids = Object.entries(generated)
      .filter(([name]) => name.endsWith('Document'))
      .map(([, document]) => idOf(document));
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(manifest).sort()).toEqual([...ids].sort());
    for (const [id, text] of Object.entries(manifest)) expect(sha256DocumentId(text)).toBe(`sha256:${id}`);
  });
});

describe.each(['allow', 'only'] as const)('PERSISTED_DOCUMENTS=%s', (mode) => {
  const start = async () => (gateway = await startGateway({ PERSISTED_DOCUMENTS: mode }, { seed: true }));

  it('runs a trusted document named by id, in each form a client may send it', async () => {
    const g = await start();
    const expected = titles(await send(g, { documentId: POSTS_ID, variables: { first: 2 } }));
    expect(expected).toEqual(['On GraphQL, part 5', 'On SQL, part 5']);
    const forms: [string, unknown, { method?: string; query?: string }][] = [
      ['sha256: id', { documentId: `sha256:${POSTS_ID}`, variables: { first: 2 } }, {}],
      ['extensions.persistedQuery', { extensions: { persistedQuery: { version: 1, sha256Hash: POSTS_ID } }, variables: { first: 2 } }, {}],
      ['GET', null, { method: 'GET', query: `?documentId=${POSTS_ID}&variables=${encodeURIComponent('{"first":2}')}` }],
    ];
    for (const [name, body, init] of forms) {
      const answer = await send(g, body, init);
      expect(answer.status, name).toBe(200);
      expect(titles(answer), name).toEqual(expected);
    }
  });

  it('answers an unknown id with PERSISTED_QUERY_NOT_FOUND and 404, never a 500', async () => {
    const g = await start();
    for (const id of ['0'.repeat(64), `sha256:${'0'.repeat(64)}`, '__proto__', 'constructor', 'x'.repeat(10_000)]) {
      const answer = await send(g, { documentId: id });
      expect(answer.status, id.slice(0, 20)).toBe(404);
      expect(code(answer)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(answer.body.errors![0]!.message).toMatch(/^No trusted document has the id "[^"]{1,81}": send the id of an operation in the manifest/);
    }
  });

  it('answers an id that is not a string, or no id and no query, with 400 BAD_REQUEST', async () => {
    const g = await start();
    for (const body of [
      { documentId: 42 },
      { documentId: { id: POSTS_ID } },
      { documentId: '' },
      { extensions: { persistedQuery: { version: 2, sha256Hash: POSTS_ID } } },
      {},
    ]) {
      const answer = await send(g, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(code(answer)).toEqual(['BAD_REQUEST']);
    }
  });

  it('refuses a mutation named by id over GET with 405, as for its text', async () => {
    const g = await start();
    const variables = encodeURIComponent('{"username":"ada","password":"gatherql-demo"}');
    expect((await send(g, null, { method: 'GET', query: `?documentId=${idOf(LogInDocument)}&variables=${variables}` })).status).toBe(405);
    const answer = await send(g, { documentId: idOf(LogInDocument), variables: { username: 'ada', password: 'gatherql-demo' } });
    expect(answer.body.data.logIn.__typename).toBe('AuthPayload');
  });
});

describe('plain documents', () => {
  it('run where allowed', async () => {
    gateway = await startGateway({ PERSISTED_DOCUMENTS: 'allow' }, { seed: true });
    expect(titles(await send(gateway, { query: POSTS_TEXT, variables: { first: 1 } }))).toEqual(['On GraphQL, part 5']);
  });

  it('are refused under only with PERSISTED_QUERY_ONLY, 400 and a message that says why, whatever the client accepts', async () => {
    gateway = await startGateway({ PERSISTED_DOCUMENTS: 'only' }, { seed: true });
    for (const accept of ['application/graphql-response+json', 'application/json', 'text/event-stream']) {
      const response = await gateway.yoga.fetch('http://gatherql.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query: POSTS_TEXT }),
      });
      expect(response.status, accept).toBe(400);
      const text = await response.text();
      expect(text).toContain('PERSISTED_QUERY_ONLY');
      expect(text).toContain('This server runs trusted documents only (PERSISTED_DOCUMENTS=only): send {\\"documentId\\": \\"<hash>\\"}');
    }
    // GraphiQL's query by GET, too.
    expect((await send(gateway, null, { method: 'GET', query: '?query=%7B__typename%7D' })).status).toBe(400);
  });

  it('where trusted documents are off, an id is a parameter the server does not take', async () => {
    gateway = await startGateway({ PERSISTED_DOCUMENTS: 'off' }, { seed: true });
    const answer = await send(gateway, { documentId: POSTS_ID });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.message).toBe('Unexpected parameter "documentId" in the request body.');
    expect(titles(await send(gateway, { query: POSTS_TEXT, variables: { first: 1 } }))).toEqual(['On GraphQL, part 5']);
  });
});

describe('a manifest of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-trusted-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves custom ids and the sha256: id of each text, and validates its documents like any other', async () => {
    const path = join(dir, 'manifest.json');
    writeFileSync(path, JSON.stringify({ 'x-typename': '{ __typename }', 'x-gone': '{ fieldThatIsGone }' }));
    gateway = await startGateway({ PERSISTED_DOCUMENTS: 'only', PERSISTED_DOCUMENTS_PATH: path });
    expect((await send(gateway, { documentId: 'x-typename' })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await send(gateway, { documentId: sha256DocumentId('{ __typename }') })).body).toEqual({ data: { __typename: 'Query' } });
    const gone = await send(gateway, { documentId: 'x-gone' });
    expect(gone.status).toBe(400);
    expect(code(gone)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  // Every form of id a client may send, against a manifest written with prefixed ids, with bare
  // ones, and in Apollo's format: a client and a server built by different tools still agree.
  const prefixed = sha256DocumentId(POSTS_TEXT);
  const hex = prefixed.slice('sha256:'.length);
  it.each([
    ['prefixed ids (client-preset 6)', { [prefixed]: POSTS_TEXT }],
    ['bare ids (client-preset 5)', { [hex]: POSTS_TEXT }],
    [
      'Apollo’s format',
      { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: hex, name: 'LatestPosts', type: 'query', body: POSTS_TEXT }] },
    ],
  ])('serves a manifest of %s to every form of id', async (name, content) => {
    const path = join(dir, `${name.length}.json`);
    writeFileSync(path, JSON.stringify(content));
    gateway = await startGateway({ PERSISTED_DOCUMENTS: 'only', PERSISTED_DOCUMENTS_PATH: path }, { seed: true });
    const variables = { first: 1 };
    for (const body of [
      { documentId: prefixed, variables },
      { documentId: hex, variables },
      { extensions: { persistedQuery: { version: 1, sha256Hash: hex } }, variables },
    ]) {
      const answer = await send(gateway, body);
      expect(answer.status, JSON.stringify(body)).toBe(200);
      expect(titles(answer)).toEqual(['On GraphQL, part 5']);
    }
  });
});

describe('a document named by id and the same document sent as its text', () => {
  /** SQL statements the gateway sent while `work` ran. */
  async function statementsDuring(g: TestGateway, work: () => Promise<unknown>): Promise<number> {
    const before = await counterValue(g.metrics.dbQueries, { origin: 'request' });
    await work();
    return (await counterValue(g.metrics.dbQueries, { origin: 'request' })) - before;
  }

  it('share one entry of the response cache, whichever came first', async () => {
    // Kept for ten minutes: the entry cannot expire between the requests, however slow the machine.
    gateway = await startGateway({}, { seed: true, tuning: { responseTtlMs: 600_000 } });
    const g = gateway;
    const byId = () => send(g, { documentId: POSTS_ID, variables: { first: 3 } });
    const byText = () => send(g, { query: POSTS_TEXT, variables: { first: 3 } });
    const first = await byId();
    let again: Answer | undefined;
    expect(await statementsDuring(g, async () => (again = await byText()))).toBe(0);
    expect(again!.body).toEqual(first.body);

    const other = { first: 4 };
    await send(g, { query: POSTS_TEXT, variables: other });
    expect(await statementsDuring(g, () => send(g, { documentId: POSTS_ID, variables: other }))).toBe(0);
  });

  it('share one execution while in flight', async () => {
    harness = await startWeatherHarness();
    const g = harness.gateway;
    harness.sim.setFaults([{ endpoint: 'geocoding', times: 1, fault: { kind: 'hold' } }]);
    const variables = { cities: ['Oslo'] };
    const both = Promise.all([
      send(g, { documentId: idOf(CurrentWeatherDocument), variables }),
      send(g, { query: manifest[idOf(CurrentWeatherDocument)], variables }),
    ]);
    await expect.poll(() => counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'joined' }), { timeout: 20_000 }).toBe(1);
    harness.sim.release();
    const [byId, byText] = await both;
    expect(byText.body).toEqual(byId.body);
    expect(byId.body.data.weather[0].__typename).toBe('CityWeather');
    expect(harness.sim.calls().geocoding).toBe(1);
  });
});
