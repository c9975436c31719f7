import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, execute, executeIncrementally, type ExecuteOptions, TransportError } from '../client/execute.js';
import { CitiesAsTheyArriveDocument, LatestPostsDocument } from '../client/generated/graphql.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startWeatherHarness } from './helpers/weather.js';

describe('client/execute.ts', () => {
  let gateway: TestGateway;
  let options: ExecuteOptions;
  beforeAll(async () => {
    gateway = await startGateway({}, { seed: true });
    options = { url: 'http://gatherql.test/graphql', fetch: async (input, init) => gateway.yoga.fetch(new Request(input, init)) };
  });
  afterAll(() => gateway?.close());

  it('returns the typed data of a generated document', async () => {
    const result = await execute(LatestPostsDocument, { first: 2 }, options);
    expect(result.status).toBe(200);
    expect(result.errors).toEqual([]);
    // Typed access, no casts: a field missing from the operation would not compile.
    const [first, second] = result.data!.posts.edges.map((edge) => edge.node);
    expect(first).toMatchObject({ title: 'On GraphQL, part 5', author: { username: 'margaret', displayName: 'Margaret Hamilton' } });
    expect(second!.createdAt < first!.createdAt).toBe(true);
    expect(result.data!.posts.totalCount).toBe(24);
  });

  it('pages with the cursor it was given', async () => {
    const page = await execute(LatestPostsDocument, { first: 2 }, options);
    const next = await execute(LatestPostsDocument, { first: 2, after: page.data!.posts.pageInfo.endCursor }, options);
    expect(next.data!.posts.edges[0]!.node.title).toBe('On batching, part 5');
  });

  it('resolves with request errors and their codes rather than throwing', async () => {
    const invalid = await execute(LatestPostsDocument, { after: 'not-a-cursor' }, options);
    expect(invalid.data).toBeNull();
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);
    expect(invalid.errors[0]!.path).toEqual(['posts']);

    const anonymous = await execute(LatestPostsDocument, {}, { ...options, token: 'tampered' });
    expect(anonymous.status).toBe(401);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const unknownField = parse('{ nope }') as TypedDocumentNode<{ nope: string }, Record<string, never>>;
    const rejected = await execute(unknownField, {}, options);
    expect(rejected.status).toBe(400);
    expect(rejected.data).toBeNull();
    expect(rejected.errors[0]!.message).toMatch(/nope/);
  });

  it('names a generated document by its id, and sends its text only when asked to', async () => {
    const bodies: Record<string, unknown>[] = [];
    const recording: ExecuteOptions = {
      ...options,
      fetch: async (input, init) => {
        bodies.push(JSON.parse(String(init!.body)));
        return options.fetch!(input, init);
      },
    };
    const byId = await execute(LatestPostsDocument, { first: 1 }, recording);
    const byText = await execute(LatestPostsDocument, { first: 1 }, { ...recording, send: 'text' });
    expect(byText.data).toEqual(byId.data);
    expect(bodies[0]).toEqual({ documentId: (LatestPostsDocument as unknown as { __meta__: { hash: string } }).__meta__.hash, variables: { first: 1 } });
    expect(bodies[1]).toEqual({ query: expect.stringContaining('query LatestPosts'), variables: { first: 1 } });
  });

  it.each([
    ['a refused connection', () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })), 'network', null],
    ['an HTML error page', async () => new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }), 'http', 502],
    ['malformed JSON', async () => new Response('{"data":', { headers: { 'content-type': 'application/json' } }), 'bad-response', 200],
    ['JSON that is not GraphQL', async () => Response.json({ ok: true }), 'bad-response', 200],
  ] as const)('throws a TransportError on %s', async (_name, fetch, kind, status) => {
    const failure = execute(LatestPostsDocument, {}, { url: 'http://gatherql.test/graphql', fetch });
    await expect(failure).rejects.toBeInstanceOf(TransportError);
    await expect(failure).rejects.toMatchObject({ kind, status });
  });

  it('gives up after timeoutMs with a TransportError of kind timeout', async () => {
    const hang: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    await expect(execute(LatestPostsDocument, {}, { url: 'http://gatherql.test/graphql', fetch: hang, timeoutMs: 50 })).rejects.toMatchObject({
      name: 'TransportError',
      kind: 'timeout',
    });
  });
});

describe('client/execute.ts and an answer in parts', () => {
  const multipart = (body: string) => async () => new Response(body, { headers: { 'content-type': 'multipart/mixed; boundary="-"' } });
  const part = (json: string) => `\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n${json}`;

  it('yields the places first and the weather when it arrives, and execute() merges every part', async () => {
    const harness = await startWeatherHarness();
    try {
      harness.sim.setFaults([{ endpoint: 'forecast', city: 'Lima', fault: { kind: 'hold' } }]);
      const options: ExecuteOptions = {
        url: 'http://gatherql.test/graphql',
        fetch: async (input, init) => harness.gateway.yoga.fetch(new Request(input, init)),
      };
      const results = executeIncrementally(CitiesAsTheyArriveDocument, { names: ['Lima', 'Atlantis'] }, options);
      const [first] = await Promise.all([results.next(), expect.poll(() => harness.sim.held(), { timeout: 20_000 }).toBe(1)]);
      const places = first.value!;
      expect(places.hasNext).toBe(true);
      expect(places.data!.cities[0]).toEqual({ __typename: 'City', name: 'Lima', location: { name: 'Lima', country: 'Peru' } });
      expect(places.data!.cities[1]).toMatchObject({ __typename: 'CityError', code: 'CITY_NOT_FOUND' });
      harness.sim.release();
      let last = places;
      for await (const result of results) last = result;
      expect(last.hasNext).toBe(false);
      expect(last.data!.cities[0]).toMatchObject({ name: 'Lima', weather: { __typename: 'CityWeather', temperatureC: expect.any(Number) } });
      // What was yielded before stays as it was.
      expect(places.data!.cities[0]).not.toHaveProperty('weather');
      const whole = await execute(CitiesAsTheyArriveDocument, { names: ['Lima', 'Atlantis'] }, options);
      expect(whole).toMatchObject({ status: 200, errors: [], data: last.data });
      expect(whole).not.toHaveProperty('hasNext');
    } finally {
      await harness.close();
    }
  });

  it.each([
    ['parts that end before the last one', `${part('{"data":{"cities":[]},"hasNext":true}')}\r\n-----\r\n`],
    ['a part that is not JSON', `${part('{"data":')}\r\n-----\r\n`],
    ['a part that is not a GraphQL payload', `${part('{"ok":true}')}\r\n-----\r\n`],
  ])('throws a TransportError of kind bad-response on %s', async (_name, body) => {
    const failure = execute(CitiesAsTheyArriveDocument, { names: ['Lima'] }, { url: 'http://gatherql.test/graphql', fetch: multipart(body) });
    await expect(failure).rejects.toMatchObject({ name: 'TransportError', kind: 'bad-response' });
  });
});
